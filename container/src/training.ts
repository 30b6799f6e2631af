// Trains the example network by SGD on categorical cross-entropy, on one of two engines:
//   kernel  the WebAssembly SIMD kernel (dense-network.ts), the default: a mini-batch of this
//           small network is one loop nest instead of ~40 TensorFlow.js operations, whose
//           dispatch cost dominates their arithmetic (BENCHMARKS.md)
//   tfjs    TensorFlow.js operations on the backend in use (tfjs-node, wasm or cpu): the
//           reference the kernel is tested against, and the choice for a network it cannot run
// TRAINING_ENGINE chooses; both draw the same seeded shuffle and report the same metrics.
// What the two share is here.
import type * as Tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from './dataset.js';
import type { Hyperparameters } from './hyperparameters.js';

export interface EpochMetrics {
  epoch: number;
  /** Mean cross-entropy over the epoch's mini-batches, each before its update (as Keras reports). */
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
}

export interface TrainOptions {
  onEpoch(metrics: EpochMetrics): void;
  /** Checked between mini-batches: true stops training; the weights so far are kept. */
  shouldStop(): boolean;
}

/** An engine's training loop: trains the model in place, returns each completed epoch's metrics. */
export type Trainer = (
  model: Tfl.LayersModel,
  hp: Hyperparameters,
  train: Dataset,
  validation: Dataset | undefined,
  options: TrainOptions,
) => Promise<EpochMetrics[]>;

/** The widths of the network's layers, input first. */
export function layerWidths(hp: Hyperparameters): number[] {
  return [hp.inputDim, ...Array<number>(hp.numHiddenLayers).fill(hp.hiddenLayersDim), hp.numClasses];
}

/** Lets signal handlers (SIGTERM) run between mini-batches of the synchronous training loops. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
