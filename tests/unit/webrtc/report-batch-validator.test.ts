import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, validateHookBatch } from '@/utils/webrtc/report-batch-validator';
import type { HookReport } from '@/utils/webrtc/report-schema';

const STATS: HookReport = {
  event: 'stats',
  pcId: 'abc-1',
  seq: 0,
  state: 'connected',
  stats: [{ id: 'OT01', type: 'outbound-rtp', timestamp: 1, bytesSent: 10, qualityLimitationDurations: { none: 1 } }],
};
const ENDED: HookReport = { event: 'ended', pcId: 'abc-1', seq: 1, reason: 'closed' };

describe('validateHookBatch', () => {
  it('accepts a valid batch and measures each report', () => {
    const result = validateHookBatch([STATS, ENDED]);
    expect(result).toEqual({
      ok: true,
      reports: [
        { report: STATS, bytes: JSON.stringify(STATS).length },
        { report: ENDED, bytes: JSON.stringify(ENDED).length },
      ],
    });
  });

  it.each([
    ['an object', { 0: STATS }, 'not-array'],
    ['more than 100 reports', Array.from({ length: 101 }, () => ENDED), 'too-many'],
    ['an unknown event', [{ ...ENDED, event: 'hello' }], 'invalid'],
    ['a pcId over 64 characters', [{ ...ENDED, pcId: 'x'.repeat(65) }], 'invalid'],
    ['a negative seq', [{ ...ENDED, seq: -1 }], 'invalid'],
    ['an unknown end reason', [{ ...ENDED, reason: 'bored' }], 'invalid'],
    ['an unknown state', [{ ...STATS, state: 'weird' }], 'invalid'],
    ['a stat without timestamp', [{ ...STATS, stats: [{ id: 'a', type: 'codec' }] }], 'invalid'],
    ['a stat with a nested string object', [{ ...STATS, stats: [{ id: 'a', type: 'codec', timestamp: 1, x: { y: 'z' } }] }], 'invalid'],
    ['one bad report among good ones', [STATS, { ...ENDED, pcId: '' }], 'invalid'],
    ['a cycle', (() => { const a: unknown[] = []; a.push(a); return a; })(), 'too-large'],
  ])('rejects %s whole', (_name, batch, reason) => {
    expect(validateHookBatch(batch)).toMatchObject({ ok: false, reason });
  });

  it('rejects a batch over the byte bound before validating it', () => {
    const big = 'x'.repeat(200);
    const stats = Array.from({ length: 1_000 }, (_, index) => ({ id: `s${index}`, type: 'codec', timestamp: 1, a: big, b: big, c: big }));
    const batch = Array.from({ length: 3 }, (_, index) => ({ ...STATS, pcId: `p${index}`, stats }));
    expect(JSON.stringify(batch).length).toBeGreaterThan(MAX_BATCH_BYTES);
    expect(validateHookBatch(batch)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(validateHookBatch(batch.slice(0, 1))).toMatchObject({ ok: true });
  });
});
