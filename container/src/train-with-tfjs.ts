// Training with TensorFlow.js operations: a plain loop with hand-written backpropagation (half
// the operations of autograd's, a third of `fit`'s). The reference for the kernel
// (train-with-kernel.ts), and the engine for whatever backend TensorFlow.js runs on.
import type * as Tf from '@tensorflow/tfjs-core';
import type { Dataset } from './dataset.js';
import { mulberry32, permute, shuffledOrder } from './shuffle.js';
import { tf } from './tfjs.js';
import { type EpochMetrics, type Trainer, yieldToEventLoop } from './training.js';

/** Running sums over an epoch's mini-batches, kept on the backend until the epoch ends. */
interface Totals {
  loss: Tf.Variable;
  correct: Tf.Variable;
}

/** Adds a batch's cross-entropy (probabilities clipped as Keras clips them) and correct count. */
function tally(totals: Totals, probabilities: Tf.Tensor2D, y: Tf.Tensor2D): void {
  const clipped = tf.clipByValue(probabilities, 1e-7, 1 - 1e-7);
  totals.loss.assign(tf.sub(totals.loss, tf.sum(tf.mul(y, tf.log(clipped)))));
  const correct = tf.equal(tf.argMax(probabilities, 1), tf.argMax(y, 1));
  totals.correct.assign(tf.add(totals.correct, tf.sum(tf.cast(correct, 'float32'))));
}

/**
 * One SGD step on a batch, in place: forward through the sigmoid layers, the softmax
 * cross-entropy gradient (p - y) / batch, then back through each layer. `scale` is
 * learning_rate / batch size, folded into the output gradient so that every weight gradient
 * comes out already scaled.
 */
function sgdStep(
  weights: readonly Tf.Variable[],
  x: Tf.Tensor2D,
  y: Tf.Tensor2D,
  scale: Tf.Scalar,
  totals: Totals,
): void {
  const layers = weights.length / 2;
  const activations: Tf.Tensor2D[] = [x];
  for (let i = 0; i < layers; i++) {
    const hidden = i < layers - 1;
    activations.push(
      tf.fused.matMul({
        a: activations[i] as Tf.Tensor2D,
        b: weights[2 * i] as unknown as Tf.Tensor2D,
        bias: weights[2 * i + 1] as Tf.Tensor,
        ...(hidden ? { activation: 'sigmoid' as const } : {}),
      }) as Tf.Tensor2D,
    );
  }
  const probabilities = tf.softmax(activations[layers] as Tf.Tensor2D);
  tally(totals, probabilities, y);
  let delta = tf.mul(tf.sub(probabilities, y), scale) as Tf.Tensor2D;
  for (let i = layers - 1; i >= 0; i--) {
    const input = activations[i] as Tf.Tensor2D;
    const kernel = weights[2 * i] as Tf.Variable;
    const bias = weights[2 * i + 1] as Tf.Variable;
    const next =
      i > 0
        ? (tf.mul(tf.matMul(delta, kernel, false, true), tf.mul(input, tf.sub(1, input))) as Tf.Tensor2D)
        : undefined;
    kernel.assign(tf.sub(kernel, tf.matMul(input, delta, true, false)));
    bias.assign(tf.sub(bias, tf.sum(delta, 0)));
    if (next) delta = next;
  }
}

function evaluate(weights: readonly Tf.Tensor[], data: Dataset): { loss: number; accuracy: number } {
  const totals: Totals = { loss: tf.variable(tf.scalar(0)), correct: tf.variable(tf.scalar(0)) };
  tf.tidy(() => {
    let h: Tf.Tensor2D = tf.tensor2d(data.features, [data.rows, data.inputDim]);
    for (let i = 0; i < weights.length; i += 2) {
      h = tf.add(tf.matMul(h, weights[i] as Tf.Tensor2D), weights[i + 1] as Tf.Tensor1D);
      if (i + 2 < weights.length) h = tf.sigmoid(h);
    }
    tally(totals, tf.softmax(h), tf.tensor2d(data.labels, [data.rows, data.numClasses]));
  });
  const result = {
    loss: (totals.loss.dataSync()[0] as number) / data.rows,
    accuracy: (totals.correct.dataSync()[0] as number) / data.rows,
  };
  tf.dispose([totals.loss, totals.correct]);
  return result;
}

export const trainWithTfjs: Trainer = async (model, hp, train, validation, options) => {
  const weights = model.getWeights().map((w) => tf.variable(w));
  const totals: Totals = { loss: tf.variable(tf.scalar(0)), correct: tf.variable(tf.scalar(0)) };
  const scales = new Map<number, Tf.Scalar>();
  const scaleFor = (size: number): Tf.Scalar => {
    let scale = scales.get(size);
    if (!scale) {
      // Made inside a batch's tidy(): keep() saves it from that scope's clean-up.
      scale = tf.keep(tf.scalar(hp.learningRate / size));
      scales.set(size, scale);
    }
    return scale;
  };
  const random = mulberry32(hp.seed);
  const history: EpochMetrics[] = [];
  try {
    for (let epoch = 1; epoch <= hp.epochs && !options.shouldStop(); epoch++) {
      const order = shuffledOrder(train.rows, random);
      const x = tf.tensor2d(permute(train.features, hp.inputDim, order), [train.rows, hp.inputDim]);
      const y = tf.tensor2d(permute(train.labels, hp.numClasses, order), [train.rows, hp.numClasses]);
      totals.loss.assign(tf.scalar(0));
      totals.correct.assign(tf.scalar(0));
      let start = 0;
      for (let batch = 0; start < train.rows && !options.shouldStop(); batch++) {
        if (batch % 100 === 99) await yieldToEventLoop();
        const size = Math.min(hp.minibatchSize, train.rows - start);
        tf.tidy(() => {
          const xb = tf.slice(x, [start, 0], [size, hp.inputDim]);
          const yb = tf.slice(y, [start, 0], [size, hp.numClasses]);
          sgdStep(weights, xb, yb, scaleFor(size), totals);
        });
        start += size;
      }
      tf.dispose([x, y]);
      // A stopped epoch's updates are kept in the model, but it is not reported as completed.
      if (start < train.rows) break;
      const metrics: EpochMetrics = {
        epoch,
        loss: (totals.loss.dataSync()[0] as number) / train.rows,
        accuracy: (totals.correct.dataSync()[0] as number) / train.rows,
      };
      if (validation) {
        const val = evaluate(weights, validation);
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
    tf.dispose([...weights, totals.loss, totals.correct, ...scales.values()]);
  }
};
