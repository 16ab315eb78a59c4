import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateHookBatch } from '@/utils/webrtc/report-batch-validator';
import { hookReportSchema, MAX_STAT_STRING_LENGTH, type HookReport } from '@/utils/webrtc/report-schema';
import { FIXTURE_NAMES, fixtureStats } from '../../fixtures/load-fixture';

const STATS: HookReport = {
  event: 'stats',
  pcId: 'abc-1',
  seq: 0,
  state: 'connected',
  stats: [{ id: 'OT01', type: 'outbound-rtp', timestamp: 1, bytesSent: 10, qualityLimitationDurations: { none: 1 } }],
};
const ENDED: HookReport = { event: 'ended', pcId: 'abc-1', seq: 1, reason: 'closed' };

describe('validateHookBatch', () => {
  it('accepts a valid batch as fresh reports with only the known keys', () => {
    const result = validateHookBatch([{ ...STATS, extra: 'x' }, ENDED]);
    expect(result).toEqual({ ok: true, reports: [STATS, ENDED] });
    expect(result.ok && result.reports[0]).not.toHaveProperty('extra');
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
    ['a cycle', (() => { const a: unknown[] = []; a.push(a); return a; })(), 'invalid'],
  ])('rejects %s whole', (_name, batch, reason) => {
    expect(validateHookBatch(batch)).toMatchObject({ ok: false, reason });
  });

  it('keeps a __proto__ field of the page JSON as a plain key, never as the prototype', () => {
    const batch = JSON.parse('[{"event":"stats","pcId":"p","seq":0,"state":"connected","stats":[{"id":"a","type":"codec","timestamp":1,"__proto__":{"polluted":1},"r":{"__proto__":2}}]}]');
    const result = validateHookBatch(batch);
    if (!result.ok || result.reports[0]!.event !== 'stats') throw new Error('expected a valid stats report');
    const stat = result.reports[0]!.stats[0]!;
    expect(Object.getPrototypeOf(stat)).toBe(Object.prototype);
    expect(Object.keys(stat)).toEqual(['id', 'type', 'timestamp', '__proto__', 'r']);
    expect(Object.getOwnPropertyDescriptor(stat, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(Object.getOwnPropertyDescriptor(stat.r, '__proto__')?.value).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

const stat = (extra: Record<string, unknown>) => [{ ...STATS, stats: [{ id: 'a', type: 'codec', timestamp: 1, ...extra }] }];

describe('validateHookBatch against the background schema', () => {
  // The relay's hand-written checks must agree with the zod schema the background applies.
  it.each([
    ['a stats and an ended report', [STATS, ENDED]],
    ['an extra key on a report (stripped)', [{ ...ENDED, extra: 1 }]],
    ['a record of numbers', stat({ q: { none: 1.5, cpu: 0 } })],
    ['a string of 256 characters', stat({ s: 'x'.repeat(256) })],
    ['a string of 257 characters', stat({ s: 'x'.repeat(257) })],
    ['NaN', stat({ n: Number.NaN })],
    ['Infinity', stat({ n: Number.POSITIVE_INFINITY })],
    ['null', stat({ n: null })],
    ['an array value', stat({ n: [1] })],
    ['a record with a string', stat({ n: { a: 'b' } })],
    ['a record key of 65 characters', stat({ n: { ['k'.repeat(65)]: 1 } })],
    ['a type of 65 characters', [{ ...STATS, stats: [{ id: 'a', type: 't'.repeat(65), timestamp: 1 }] }]],
    ['an id of 257 characters', [{ ...STATS, stats: [{ id: 'i'.repeat(257), type: 'codec', timestamp: 1 }] }]],
    ['a numeric id', [{ ...STATS, stats: [{ id: 1, type: 'codec', timestamp: 1 }] }]],
    ['200 fields', stat(Object.fromEntries(Array.from({ length: 197 }, (_, i) => [`f${i}`, i])))],
    ['201 fields', stat(Object.fromEntries(Array.from({ length: 198 }, (_, i) => [`f${i}`, i])))],
    ['a held time of 1 s', [{ ...STATS, heldMs: 1_000 }]],
    ['a held time of 10 s', [{ ...STATS, heldMs: 10_000 }]],
    ['a held time over 10 s', [{ ...STATS, heldMs: 10_001 }]],
    ['a negative held time', [{ ...STATS, heldMs: -1 }]],
    ['a fractional held time', [{ ...STATS, heldMs: 2.5 }]],
    ['a held time as a string', [{ ...STATS, heldMs: '5' }]],
    ['a fractional seq', [{ ...ENDED, seq: 1.5 }]],
    ['a seq beyond safe integers', [{ ...ENDED, seq: 2 ** 60 }]],
    ['an empty pcId', [{ ...ENDED, pcId: '' }]],
    ['stats that are not an array', [{ ...STATS, stats: {} }]],
    ['a report that is an array', [[ENDED]]],
    ['a report that is null', [null]],
    ['an empty batch', []],
  ])('agrees with hookReportSchema on %s', (_name, batch) => {
    const zod = z.array(hookReportSchema).safeParse(batch);
    const result = validateHookBatch(batch);
    expect(result.ok).toBe(zod.success);
    if (result.ok && zod.success) expect(result.reports).toEqual(zod.data);
  });

  it.each(FIXTURE_NAMES.flatMap((name) => [[name, 'caller'], [name, 'callee']] as const))(
    'accepts the recorded %s %s report exactly as zod parses it',
    (name, role) => {
      // As the hook sends them: string fields over the bound (certificates) are dropped by its shaper.
      const stats = fixtureStats(name, role).map((s) =>
        Object.fromEntries(Object.entries(s).filter(([, v]) => typeof v !== 'string' || v.length <= MAX_STAT_STRING_LENGTH)),
      );
      const batch = [{ ...STATS, stats }];
      const result = validateHookBatch(batch);
      expect(result).toMatchObject({ ok: true });
      expect(result.ok && result.reports[0]!).toEqual(hookReportSchema.parse(batch[0]));
    },
  );
});

/** Relative imports of a source file, resolved to files. */
function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('the relay bundle', () => {
  it('reaches no zod through its imports, so zod never loads into a captured frame', () => {
    const root = path.resolve(__dirname, '../../..');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.') || spec.startsWith('@/')) {
          const base = spec.startsWith('@/') ? path.join(root, spec.slice(2)) : path.resolve(path.dirname(file), spec);
          visit(fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts'));
        } else packages.add(spec);
      }
    };
    visit(path.join(root, 'entrypoints/relay.content.ts'));
    expect(seen.has(path.join(root, 'utils/webrtc/report-batch-validator.ts'))).toBe(true);
    expect([...packages].filter((name) => name === 'zod' || name.startsWith('zod/'))).toEqual([]);
  });
});
