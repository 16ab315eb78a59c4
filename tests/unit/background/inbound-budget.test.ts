import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { batchCost, measureBatch } from '@/utils/background/inbound-budget';
import { MAX_REPORTS_PER_BATCH, MAX_STATS_PER_BATCH, parseInboundBatch } from '@/utils/background/inbound-reports';
import { MAX_BATCH_BYTES } from '@/utils/webrtc/report-batch-validator';
import { createRateLimiter } from '@/utils/resilience/rate-limiter';
import { createDropCounter } from '@/utils/resilience/drop-counter';

const stat = (i: number) => ({ id: `s${i}`, type: 'codec', timestamp: 1, mimeType: 'audio/opus' });
const report = (stats: number) => ({ event: 'stats', pcId: 'pc-1', seq: 1, state: 'connected', stats: Array.from({ length: stats }, (_, i) => stat(i)) });

describe('measureBatch', () => {
  beforeEach(() => fakeBrowser.reset());

  it('measures a valid batch: reports, stats and estimated bytes', () => {
    const result = measureBatch([report(25), report(25)]);
    expect(result).toMatchObject({ ok: true, reports: 2, stats: 50 });
    expect(result.ok && result.bytes).toBeGreaterThan(JSON.stringify([report(25), report(25)]).length / 2);
  });

  it.each([
    ['not an array', { reports: [] }, 'not-a-batch'],
    ['too many reports', Array.from({ length: MAX_REPORTS_PER_BATCH + 1 }, () => report(1)), 'too-many-reports'],
    ['too many stats in all', Array.from({ length: 10 }, () => report(MAX_STATS_PER_BATCH / 10 + 1)), 'too-many-stats'],
    ['one huge string', [{ ...report(1), pcId: 'x'.repeat(MAX_BATCH_BYTES) }], 'too-large'],
    ['a huge stats object', [{ ...report(0), stats: [Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, 'v'.repeat(20)]))] }], 'too-large'],
  ])('refuses %s before any schema parse', (_name, data, reason) => {
    expect(measureBatch(data)).toEqual({ ok: false, reason });
  });

  it('refuses everything the schema would refuse for its size, and passes what the schema accepts', () => {
    const accepted = [report(100)];
    expect(measureBatch(accepted).ok).toBe(true);
    expect(parseInboundBatch(accepted, { tab: { id: 1 }, url: 'https://meet.google.com/' }).ok).toBe(true);
  });
});

describe('batchCost', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    [0, 1],
    [25, 1],
    [100, 1],
    [101, 2],
    [5_000, 50],
  ])('charges a message with %i stats objects %i budget units', (stats, cost) => {
    expect(batchCost({ stats })).toBe(cost);
  });

  it('lets one tab (all frames together) send a second’s budget of stats, then refuses the rest unparsed', () => {
    const drops = createDropCounter();
    const limiter = createRateLimiter({ ratePerSecond: 50, drops, now: () => 0 });
    // Every frame of the tab spends from the same key: 10 frames of full 5,000-stats messages get one through.
    const allowed = Array.from({ length: 10 }, () => limiter.allow('tab:1', 0, batchCost({ stats: 5_000 }))).filter(Boolean);
    expect(allowed).toHaveLength(1);
    expect(drops.snapshot()['rate-limited']).toBe(9);
    expect(limiter.allow('tab:2', 0, batchCost({ stats: 25 }))).toBe(true);
  });
});
