// The disk watchdog's arithmetic: the usage estimate between measurements, when `du` runs again, and reading
// its total.
import assert from 'node:assert/strict';
import { estimateUsed, measurementDue, parseDuTotal, type DiskState } from '../../daemon/quota.ts';

const MiB = 1024 * 1024;
const state = (over: Partial<DiskState> = {}): DiskState => ({ used: 100 * MiB, freeAtMeasure: 1000 * MiB, measuredAt: 0, duMs: 100, over: false, ...over });

describe('disk quota arithmetic', () => {
  it('estimates usage as the last measurement plus the free space lost since (never less)', () => {
    assert.equal(estimateUsed(state(), 900 * MiB), 200 * MiB);
    assert.equal(estimateUsed(state(), 1100 * MiB), 100 * MiB);
  });

  it('measures again when the estimate crosses the quota, but not more often than every 4 du durations', () => {
    assert.equal(measurementDue(state(), 1000, 980 * MiB, 128 * MiB), false); // 120 MiB < 128
    assert.equal(measurementDue(state(), 1000, 960 * MiB, 128 * MiB), true); // 140 MiB > 128
    assert.equal(measurementDue(state({ duMs: 5000 }), 1000, 960 * MiB, 128 * MiB), false); // du is slow: wait
  });

  it('over the quota, measures again when more than 1 MiB was written; and always after the idle interval', () => {
    assert.equal(measurementDue(state({ over: true }), 1000, 1000 * MiB - 512 * 1024, 64 * MiB), false);
    assert.equal(measurementDue(state({ over: true }), 1000, 998 * MiB, 64 * MiB), true);
    assert.equal(measurementDue(state({ over: true }), 10_001, 1000 * MiB, 64 * MiB), true);
    assert.equal(measurementDue(state(), 60_001, 1000 * MiB, 1024 * MiB), true);
  });

  it('reads the total of du -c, or nothing when there is none', () => {
    assert.equal(parseDuTotal('4096\t/workspace\n8192\t/home/user\n12288\ttotal\n'), 12288);
    assert.equal(parseDuTotal('du: cannot read directory\n'), undefined);
  });
});
