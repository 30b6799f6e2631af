// The original example's network: `num_hidden_layers` dense sigmoid layers of `hidden_layers_dim`
// units and a softmax output, trained by SGD on categorical cross-entropy. Kept as a tfjs-layers
// model so that it saves and loads in the standard model.json + weights format, and trained by a
// plain loop with hand-written backpropagation: for a network this small the cost is the number
// of TensorFlow.js operations per batch, and this step takes half of what autograd's takes and
// a third of what `fit` takes (BENCHMARKS.md).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from './dataset.js';
import type { Hyperparameters, Initializer } from './hyperparameters.js';

export interface EpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
}

function initializer(name: Initializer, seed: number): ReturnType<typeof tfl.initializers.zeros> {
  switch (name) {
    // Keras 1's "normal" and "uniform": small fixed-scale random weights.
    case 'normal':
      return tfl.initializers.randomNormal({ mean: 0, stddev: 0.05, seed });
    case 'uniform':
      return tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed });
    case 'glorot_normal':
      return tfl.initializers.glorotNormal({ seed });
    case 'glorot_uniform':
      return tfl.initializers.glorotUniform({ seed });
    case 'he_normal':
      return tfl.initializers.heNormal({ seed });
    case 'he_uniform':
      return tfl.initializers.heUniform({ seed });
    case 'lecun_normal':
      return tfl.initializers.leCunNormal({ seed });
    case 'lecun_uniform':
      return tfl.initializers.leCunUniform({ seed });
  }
}

export function buildModel(hp: Hyperparameters): tfl.Sequential {
  const model = tfl.sequential();
  for (let layer = 0; layer <= hp.numHiddenLayers; layer++) {
    const output = layer === hp.numHiddenLayers;
    model.add(
      tfl.layers.dense({
        ...(layer === 0 ? { inputShape: [hp.inputDim] } : {}),
        units: output ? hp.numClasses : hp.hiddenLayersDim,
        activation: output ? 'softmax' : 'sigmoid',
        kernelInitializer: initializer(hp.init, hp.seed + layer),
      }),
    );
  }
  return model;
}

/** Logits of the network for a batch, from its weights [W0, b0, W1, b1, ...]. */
function logits(weights: readonly tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  for (let i = 0; i < weights.length; i += 2) {
    h = tf.add(tf.matMul(h, weights[i] as tf.Tensor2D), weights[i + 1] as tf.Tensor1D);
    if (i + 2 < weights.length) h = tf.sigmoid(h);
  }
  return h;
}

function evaluate(
  weights: readonly tf.Tensor[],
  x: tf.Tensor2D,
  y: tf.Tensor2D,
): { loss: number; accuracy: number } {
  const [loss, accuracy] = tf.tidy(() => {
    const z = logits(weights, x);
    const correct = tf.equal(tf.argMax(z, 1), tf.argMax(y, 1));
    return [tf.losses.softmaxCrossEntropy(y, z), tf.mean(tf.cast(correct, 'float32'))];
  });
  const values = [loss.dataSync()[0] as number, accuracy.dataSync()[0] as number];
  tf.dispose([loss, accuracy]);
  return { loss: values[0] as number, accuracy: values[1] as number };
}

/** A seeded Fisher-Yates shuffle of the row order. */
function shuffledOrder(rows: number, random: () => number): Uint32Array {
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permute(source: Float32Array, width: number, order: Uint32Array): Float32Array {
  const out = new Float32Array(source.length);
  for (let r = 0; r < order.length; r++) {
    out.set(source.subarray((order[r] as number) * width, ((order[r] as number) + 1) * width), r * width);
  }
  return out;
}

export interface TrainOptions {
  onEpoch(metrics: EpochMetrics): void;
  /** Checked between batches: true stops training after the current batch. */
  shouldStop(): boolean;
}

/**
 * One SGD step on a batch, in place: forward through the sigmoid layers, the softmax
 * cross-entropy gradient (p - y) / batch, then back through each layer. `scale` is
 * learning_rate / batch size, folded into the output gradient so that every weight gradient
 * comes out already scaled.
 */
function sgdStep(
  weights: readonly tf.Variable[],
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  scale: tf.Scalar,
  one: tf.Scalar,
): void {
  const layers = weights.length / 2;
  const activations: tf.Tensor2D[] = [x];
  for (let i = 0; i < layers; i++) {
    const hidden = i < layers - 1;
    activations.push(
      tf.fused.matMul({
        a: activations[i] as tf.Tensor2D,
        b: weights[2 * i] as unknown as tf.Tensor2D,
        bias: weights[2 * i + 1] as tf.Tensor,
        ...(hidden ? { activation: 'sigmoid' as const } : {}),
      }) as tf.Tensor2D,
    );
  }
  const logits = activations[layers] as tf.Tensor2D;
  let delta = tf.mul(tf.sub(tf.softmax(logits), y), scale) as tf.Tensor2D;
  for (let i = layers - 1; i >= 0; i--) {
    const input = activations[i] as tf.Tensor2D;
    const kernel = weights[2 * i] as tf.Variable;
    const bias = weights[2 * i + 1] as tf.Variable;
    const next =
      i > 0
        ? (tf.mul(tf.matMul(delta, kernel, false, true), tf.mul(input, tf.sub(one, input))) as tf.Tensor2D)
        : undefined;
    kernel.assign(tf.sub(kernel, tf.matMul(input, delta, true, false)));
    bias.assign(tf.sub(bias, tf.sum(delta, 0)));
    if (next) delta = next;
  }
}

/** Lets signal handlers (SIGTERM) run between batches of the synchronous training loop. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Trains the model in place; returns the metrics of each completed epoch. */
export async function trainModel(
  model: tfl.Sequential,
  hp: Hyperparameters,
  train: Dataset,
  validation: Dataset | undefined,
  options: TrainOptions,
): Promise<EpochMetrics[]> {
  const weights = model.getWeights().map((w) => tf.variable(w));
  const one = tf.scalar(1);
  const scales = new Map<number, tf.Scalar>();
  const scaleFor = (size: number): tf.Scalar => {
    let scale = scales.get(size);
    if (!scale) {
      // Made inside a batch's tidy(): keep() saves it from that scope's clean-up.
      scale = tf.keep(tf.scalar(hp.learningRate / size));
      scales.set(size, scale);
    }
    return scale;
  };
  const random = mulberry32(hp.seed);
  const trainX = tf.tensor2d(train.features, [train.rows, hp.inputDim]);
  const trainY = tf.tensor2d(train.labels, [train.rows, hp.numClasses]);
  const valX = validation && tf.tensor2d(validation.features, [validation.rows, hp.inputDim]);
  const valY = validation && tf.tensor2d(validation.labels, [validation.rows, hp.numClasses]);
  const history: EpochMetrics[] = [];
  try {
    for (let epoch = 1; epoch <= hp.epochs && !options.shouldStop(); epoch++) {
      const order = shuffledOrder(train.rows, random);
      const x = tf.tensor2d(permute(train.features, hp.inputDim, order), [train.rows, hp.inputDim]);
      const y = tf.tensor2d(permute(train.labels, hp.numClasses, order), [train.rows, hp.numClasses]);
      for (
        let start = 0, batch = 0;
        start < train.rows && !options.shouldStop();
        start += hp.minibatchSize, batch++
      ) {
        if (batch % 100 === 99) await yieldToEventLoop();
        const size = Math.min(hp.minibatchSize, train.rows - start);
        tf.tidy(() => {
          const xb = tf.slice(x, [start, 0], [size, hp.inputDim]);
          const yb = tf.slice(y, [start, 0], [size, hp.numClasses]);
          sgdStep(weights, xb, yb, scaleFor(size), one);
        });
      }
      tf.dispose([x, y]);
      const metrics: EpochMetrics = { epoch, ...evaluate(weights, trainX, trainY) };
      if (valX && valY) {
        const val = evaluate(weights, valX, valY);
        metrics.val_loss = val.loss;
        metrics.val_accuracy = val.accuracy;
      }
      history.push(metrics);
      options.onEpoch(metrics);
      await yieldToEventLoop();
    }
    model.setWeights(weights);
    return history;
  } finally {
    tf.dispose([...weights, one, ...scales.values(), trainX, trainY, ...(valX && valY ? [valX, valY] : [])]);
  }
}

/** Probabilities per row, as plain numbers. */
export function predict(
  model: tfl.LayersModel,
  rows: Float32Array,
  count: number,
  inputDim: number,
): number[][] {
  const output = tf.tidy(() => model.predict(tf.tensor2d(rows, [count, inputDim])) as tf.Tensor2D);
  const result = output.arraySync();
  output.dispose();
  return result;
}
