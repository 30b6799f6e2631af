// Training on the WebAssembly SIMD kernel (dense-network.ts): the model's initial weights go in,
// each epoch's shuffled rows go in, and a hundred mini-batches run per call, between which
// SIGTERM can be noticed. The loss and accuracy of an epoch are the running means over its
// mini-batches, each measured before its update, as Keras reports them.
import { DenseNetwork } from './dense-network.js';
import { mulberry32, permute, shuffledOrder } from './shuffle.js';
import { tf } from './tfjs.js';
import { type EpochMetrics, layerWidths, type Trainer, yieldToEventLoop } from './training.js';

const BATCHES_PER_CALL = 100;
/** Rows per forward pass when evaluating: enough to amortise a call, small enough to stay in cache. */
const EVALUATION_ROWS = 256;

export const trainWithKernel: Trainer = async (model, hp, train, validation, options) => {
  // No batch holds more rows than the data set has.
  const batchRows = Math.min(hp.minibatchSize, train.rows);
  const network = await DenseNetwork.create(layerWidths(hp), Math.max(batchRows, EVALUATION_ROWS));
  const initial = model.getWeights();
  network.setWeights(initial.map((w) => w.dataSync() as Float32Array));
  const trainRows = network.dataset(train.features, train.labels, train.rows);
  const validationRows =
    validation && network.dataset(validation.features, validation.labels, validation.rows);
  const random = mulberry32(hp.seed);
  const history: EpochMetrics[] = [];
  for (let epoch = 1; epoch <= hp.epochs && !options.shouldStop(); epoch++) {
    const order = shuffledOrder(train.rows, random);
    trainRows.write(permute(train.features, hp.inputDim, order), permute(train.labels, hp.numClasses, order));
    network.resetTotals();
    let row = 0;
    while (row < train.rows && !options.shouldStop()) {
      row = network.trainBatches(trainRows, row, BATCHES_PER_CALL, hp.minibatchSize, hp.learningRate);
      await yieldToEventLoop();
    }
    // A stopped epoch's updates are kept in the model, but it is not reported as completed.
    if (row < train.rows) break;
    const metrics: EpochMetrics = { epoch, ...network.totals(train.rows) };
    if (validationRows) {
      const val = network.evaluate(validationRows);
      metrics.val_loss = val.loss;
      metrics.val_accuracy = val.accuracy;
    }
    history.push(metrics);
    options.onEpoch(metrics);
  }
  const trained = network.getWeights().map((values, i) => tf.tensor(values, initial[i]?.shape));
  model.setWeights(trained);
  // getWeights() hands out the model's own variables: only the copies are disposed.
  tf.dispose(trained);
  return history;
};
