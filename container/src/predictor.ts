// Class probabilities for the rows of a request. A model that is the example's dense stack
// (sigmoid hidden layers, softmax output: what `train` writes) is served by the WebAssembly
// kernel, where a 1-row request costs microseconds instead of a dozen TensorFlow.js dispatches;
// any other model goes through TensorFlow.js's predict.
import type * as Tf from '@tensorflow/tfjs-core';
import type * as Tfl from '@tensorflow/tfjs-layers';
import { DenseNetwork } from './dense-network.js';
import { type Engine, engineWanted, SettingError } from './engine-choice.js';
import { tf } from './tfjs.js';

/** Rows per forward pass of the kernel: large requests go through in chunks of this many. */
const CHUNK_ROWS = 256;

export interface Predictor {
  readonly engine: Engine;
  /** One row of class probabilities per input row. */
  predict(rows: Float32Array, count: number): number[][];
}

interface DenseLayerConfig {
  activation?: string;
  useBias?: boolean;
}

/** The layer widths of a model the kernel can run, input first; undefined for any other model. */
function denseStackWidths(model: Tfl.LayersModel): number[] | undefined {
  const widths = [model.inputs[0]?.shape[1] as number];
  const layers = model.layers;
  for (const [index, layer] of layers.entries()) {
    const config = layer.getConfig() as DenseLayerConfig;
    const activation = index === layers.length - 1 ? 'softmax' : 'sigmoid';
    if (layer.getClassName() !== 'Dense' || config.activation !== activation || config.useBias === false)
      return undefined;
    widths.push(layer.outputShape[1] as number);
  }
  return layers.length > 0 ? widths : undefined;
}

function rowsOf(values: Float32Array, count: number, width: number): number[][] {
  return Array.from({ length: count }, (_, r) => Array.from(values.subarray(r * width, (r + 1) * width)));
}

export async function predictorFor(
  model: Tfl.LayersModel,
  wanted = engineWanted('SERVING_ENGINE'),
): Promise<Predictor> {
  const inputDim = model.inputs[0]?.shape[1] as number;
  const widths = wanted === 'tfjs' ? undefined : denseStackWidths(model);
  if (wanted === 'kernel' && !widths)
    throw new SettingError('SERVING_ENGINE=kernel runs dense sigmoid layers with a softmax output only');
  if (widths) {
    const network = await DenseNetwork.create(widths, CHUNK_ROWS);
    network.setWeights(model.getWeights().map((w) => w.dataSync() as Float32Array));
    const classes = widths.at(-1) as number;
    return {
      engine: 'kernel',
      predict: (rows, count) => rowsOf(network.predict(rows, count), count, classes),
    };
  }
  return {
    engine: 'tfjs',
    predict: (rows, count) => {
      const output = tf.tidy(() => model.predict(tf.tensor2d(rows, [count, inputDim])) as Tf.Tensor2D);
      const result = output.arraySync();
      output.dispose();
      return result;
    },
  };
}
