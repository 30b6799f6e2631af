// The measure of long work: done of total, the rate over the last seconds, the time left.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, ProgressMeter } from '../../src/shared/progress-meter.js';

describe('the progress meter', () => {
  it('says how much of how much, the rate and the time left, by bytes when the work is bytes', () => {
    let now = 0;
    const meter = new ProgressMeter({ bytes: 100 * 1024 ** 2, items: 1000, unit: 'files' }, () => now);
    now = 2000;
    meter.add(10 * 1024 ** 2, 100);
    assert.equal(meter.describe(), '10.0 MiB of 100.0 MiB, 100 of 1,000 files, 5.0 MiB/s, about 18 s left');
    now = 4000;
    meter.add(90 * 1024 ** 2, 900);
    assert.equal(meter.describe(), '100.0 MiB of 100.0 MiB, 1,000 of 1,000 files');
  });

  it('measures the rate over the last seconds: a stall shows', () => {
    let now = 0;
    const meter = new ProgressMeter({ items: 200, unit: 'requests' }, () => now);
    for (let second = 1; second <= 10; second++) {
      now = second * 1000;
      meter.add(0, 10);
    }
    assert.equal(meter.describe(), '100 of 200 requests, 10 requests/s, about 10 s left');
    now = 20_000;
    meter.add(0, 0);
    assert.match(meter.describe(), /100 of 200 requests, stalled$/);
  });

  it('gives no rate before it has a second of samples', () => {
    let now = 0;
    const meter = new ProgressMeter({ bytes: 1000 }, () => now);
    now = 30;
    meter.add(10);
    assert.equal(meter.describe(), '10 B of 1000 B');
  });

  it('is due at most every 200 ms, and always once done, so that the last update gets through', () => {
    let now = 1000;
    const meter = new ProgressMeter({ items: 3 }, () => now);
    meter.add(0, 1);
    assert.equal(meter.due(), true, 'the first update');
    now += 50;
    meter.add(0, 1);
    assert.equal(meter.due(), false, '50 ms later: not yet');
    now += 200;
    assert.equal(meter.due(), true);
    now += 10;
    meter.add(0, 1);
    assert.equal(meter.due(), true, 'done: shown however soon');
  });

  it('writes sizes as people read them', () => {
    assert.deepEqual([0, 1536, 5 * 1024 ** 2, 3 * 1024 ** 3].map(formatBytes), [
      '0 B',
      '1.5 KiB',
      '5.0 MiB',
      '3.00 GiB',
    ]);
  });
});
