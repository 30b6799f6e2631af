// A training job's progress in epochs, where the job says it: the total from the hyperparameters
// (epochs, num_epochs, n_epochs, max_epochs) or from the log's own "Epoch 3/200", the current one
// from the log's epoch lines (Keras' "Epoch 3/200", "epoch=3", "epoch: 3"). A job that says
// neither shows its status alone.
import { ProgressMeter } from '../shared/progress-meter.js';

const TOTAL_NAMES = ['epochs', 'num_epochs', 'n_epochs', 'max_epochs', 'num_train_epochs'];
const EPOCH_LINE = /\bepoch\s*[=:]?\s*(\d+)(?:\s*(?:\/|of)\s*(\d+))?/i;

export class EpochProgress {
  private total: number | undefined;
  private current = 0;
  private meter: ProgressMeter | undefined;

  constructor(hyperparameters: Readonly<Record<string, unknown>>) {
    for (const name of TOTAL_NAMES) {
      const value = Number(hyperparameters[name]);
      if (Number.isInteger(value) && value > 0) {
        this.total = value;
        break;
      }
    }
  }

  /** A line of the job's log. */
  read(line: string): void {
    const match = EPOCH_LINE.exec(line);
    if (!match) return;
    const epoch = Number(match[1]);
    if (match[2] !== undefined && this.total === undefined) this.total = Number(match[2]);
    if (this.total === undefined || epoch <= this.current || epoch > this.total) return;
    this.meter ??= new ProgressMeter({ items: this.total, unit: 'epochs' });
    this.meter.add(0, epoch - this.current);
    this.current = epoch;
  }

  /** "epoch 12 of 200, 4.1 epochs/s, about 46 s left", or undefined before the first epoch line. */
  describe(): string | undefined {
    if (!this.meter || this.total === undefined) return undefined;
    return this.meter.describe().replace(/^([\d,]+) of ([\d,]+) epochs/, 'epoch $1 of $2');
  }
}
