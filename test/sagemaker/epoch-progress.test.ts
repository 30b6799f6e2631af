// A training job's progress in epochs, read from its hyperparameters and its log lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EpochProgress } from '../../src/sagemaker/epoch-progress.js';

describe('epoch progress', () => {
  it('reads the total from the hyperparameters and the epoch from the log', () => {
    const progress = new EpochProgress({ epochs: 200, learning_rate: 0.1 });
    assert.equal(progress.describe(), undefined, 'nothing before the first epoch line');
    progress.read('epoch=1 loss=0.69 accuracy=0.51');
    assert.match(progress.describe() ?? '', /^epoch 1 of 200/);
    progress.read('epoch=2 loss=0.68');
    assert.match(progress.describe() ?? '', /^epoch 2 of 200/);
  });

  it('reads Keras’ "Epoch 3/50" when the hyperparameters name no total, and ignores other lines', () => {
    const progress = new EpochProgress({ learning_rate: '0.1' });
    progress.read('training_rows=20000 validation_rows=1025');
    assert.equal(progress.describe(), undefined);
    progress.read('Epoch 3/50');
    assert.match(progress.describe() ?? '', /^epoch 3 of 50/);
    progress.read('Epoch 2/50');
    assert.match(progress.describe() ?? '', /^epoch 3 of 50/, 'never backwards');
  });
});
