import { describe, expect, it } from 'vitest';
import { createWantedStatsMemo, FULL_READ_INTERVAL_MS, shapeStatsReport, toPlainStat, type StatsReportLike } from '@/utils/webrtc/stats-shaper';
import { rtcStatSchema } from '@/utils/webrtc/report-schema';
import { CALLER_STATS, statsReportOf } from './fake-peer-connection';

const RTP = new Set(['inbound-rtp', 'outbound-rtp']);

describe('shapeStatsReport', () => {
  it('keeps only the wanted types of a recorded Chromium report', () => {
    const { stats } = shapeStatsReport(statsReportOf(CALLER_STATS), { wanted: RTP, maxStats: 300 });
    const expected = CALLER_STATS.filter((stat) => RTP.has(String(stat.type))).length;
    expect(expected).toBeGreaterThan(0);
    expect(stats).toHaveLength(expected);
    expect(new Set(stats.map((stat) => stat.type))).toEqual(RTP);
  });

  it('produces objects the relay schema accepts, for every type in the recording', () => {
    const all = new Set(CALLER_STATS.map((stat) => String(stat.type)));
    const { stats, malformed } = shapeStatsReport(statsReportOf(CALLER_STATS), { wanted: all, maxStats: 300 });
    expect(malformed).toBe(0);
    expect(stats).toHaveLength(CALLER_STATS.length);
    for (const stat of stats) expect(rtcStatSchema.safeParse(stat).success).toBe(true);
  });

  it('keeps records of numbers such as qualityLimitationDurations', () => {
    const { stats } = shapeStatsReport(statsReportOf(CALLER_STATS), { wanted: new Set(['outbound-rtp']), maxStats: 300 });
    const video = stats.find((stat) => stat.kind === 'video');
    expect(video?.qualityLimitationDurations).toEqual(expect.objectContaining({ none: expect.any(Number) }));
  });

  it('caps the number of stats objects and counts the rest', () => {
    const all = new Set(CALLER_STATS.map((stat) => String(stat.type)));
    const shaped = shapeStatsReport(statsReportOf(CALLER_STATS), { wanted: all, maxStats: 5 });
    expect(shaped.stats).toHaveLength(5);
    expect(shaped.overCap).toBe(CALLER_STATS.length - 5);
  });

  it('copies only the listed fields of a type that has a field list, and every field of one that has none', () => {
    const fields = new Map([['outbound-rtp', ['bytesSent', 'kind', 'notAStatsField']]]);
    const { stats } = shapeStatsReport(statsReportOf(CALLER_STATS), { wanted: new Set(['outbound-rtp', 'inbound-rtp']), maxStats: 300, fields });
    const outbound = stats.filter((stat) => stat.type === 'outbound-rtp');
    expect(outbound.length).toBeGreaterThan(0);
    for (const stat of outbound) expect(Object.keys(stat)).toEqual(['id', 'type', 'timestamp', 'bytesSent', 'kind']);
    const inbound = stats.filter((stat) => stat.type === 'inbound-rtp');
    const recorded = CALLER_STATS.find((stat) => stat.type === 'inbound-rtp')!;
    expect(inbound[0]).toEqual(toPlainStat(recorded));
    expect(Object.keys(inbound[0]!).length).toBeGreaterThan(10);
  });

  it('never copies a __proto__ field, listed or not', () => {
    const forged = JSON.parse('{"id":"x","type":"codec","timestamp":1,"__proto__":{"a":1},"clockRate":8000}') as Record<string, unknown>;
    for (const only of [undefined, ['__proto__', 'clockRate']]) {
      const stat = toPlainStat(forged, only)!;
      expect(Object.getPrototypeOf(stat)).toBe(Object.prototype);
      expect(Object.keys(stat)).toEqual(['id', 'type', 'timestamp', 'clockRate']);
    }
  });

  it('counts entries that are not objects as malformed', () => {
    const report = new Map<string, unknown>([['x', 42], ['y', { id: 'y', type: 'codec', timestamp: 'soon' }]]);
    expect(shapeStatsReport(report, { wanted: new Set(['codec']), maxStats: 10 })).toEqual({ stats: [], overCap: 0, malformed: 2 });
  });
});

describe('toPlainStat', () => {
  const base = { id: 'OT01', type: 'outbound-rtp', timestamp: 1 };

  it.each([
    ['an array', { trackIds: ['a', 'b'] }],
    ['a nested object with strings', { nested: { a: 'x' } }],
    ['a function', { fn: () => 1 }],
    ['NaN', { value: Number.NaN }],
    ['Infinity', { value: Number.POSITIVE_INFINITY }],
    ['a long string', { sdp: 'x'.repeat(257) }],
    ['null', { value: null }],
    ['a bigint', { value: 1n }],
  ])('drops %s', (_name, extra) => {
    expect(toPlainStat({ ...base, ...extra })).toEqual(base);
  });

  it('keeps numbers, booleans and short strings', () => {
    const stat = { ...base, bytesSent: 10, active: true, rid: 'h' };
    expect(toPlainStat(stat)).toEqual(stat);
  });

  it.each([
    ['no id', { type: 'codec', timestamp: 1 }],
    ['a numeric type', { id: 'a', type: 3, timestamp: 1 }],
    ['no timestamp', { id: 'a', type: 'codec' }],
  ])('refuses a stat with %s', (_name, stat) => {
    expect(toPlainStat(stat)).toBeNull();
  });

  it('keeps at most the schema maximum of fields', () => {
    const wide: Record<string, unknown> = { ...base };
    for (let index = 0; index < 300; index++) wide[`f${index}`] = index;
    const stat = toPlainStat(wide);
    expect(Object.keys(stat ?? {})).toHaveLength(200);
    expect(rtcStatSchema.safeParse(stat).success).toBe(true);
  });
});

/** A recorded report that counts how it is read: full reads (forEach) and objects built by id (get). */
function countingReport(stats: Record<string, unknown>[]): { report: StatsReportLike; map: Map<string, unknown>; fullReads: () => number; gets: () => number } {
  const map = statsReportOf(stats);
  let fullReads = 0;
  let gets = 0;
  const report: StatsReportLike = {
    forEach: (callback) => {
      fullReads++;
      map.forEach((value) => callback(value));
    },
    get: (id) => {
      gets++;
      return map.get(id);
    },
    get size() {
      return map.size;
    },
  };
  return { report, map, fullReads: () => fullReads, gets: () => gets };
}

describe('shapeStatsReport with a memo of wanted ids', () => {
  it('reads the whole report once, then builds only the wanted stats by id, with the same result', () => {
    const { report, fullReads, gets } = countingReport(CALLER_STATS);
    const memo = createWantedStatsMemo();
    const first = shapeStatsReport(report, { wanted: RTP, maxStats: 300 });
    expect(shapeStatsReport(report, { wanted: RTP, maxStats: 300 }, memo)).toEqual(first);
    expect(shapeStatsReport(report, { wanted: RTP, maxStats: 300 }, memo)).toEqual(first);
    expect(fullReads()).toBe(2); // the memo-less read and the memo's first
    expect(gets()).toBe(first.stats.length);
    expect(first.stats.length).toBeLessThan(CALLER_STATS.length);
  });

  it.each([
    ['the report grew (a new stream)', (map: Map<string, unknown>) => map.set('IT-new', { id: 'IT-new', type: 'inbound-rtp', timestamp: 2, kind: 'audio' })],
    ['a remembered stat is gone and another took its place', (map: Map<string, unknown>) => {
      const [id] = [...map.entries()].find(([, stat]) => (stat as { type: string }).type === 'outbound-rtp')!;
      map.delete(id);
      map.set('OT-new', { id: 'OT-new', type: 'outbound-rtp', timestamp: 2, kind: 'video' });
    }],
  ])('reads the whole report again when %s', (_name, change) => {
    const { report, map, fullReads } = countingReport(CALLER_STATS);
    const memo = createWantedStatsMemo();
    shapeStatsReport(report, { wanted: RTP, maxStats: 300 }, memo);
    change(map);
    const { stats } = shapeStatsReport(report, { wanted: RTP, maxStats: 300 }, memo);
    expect(fullReads()).toBe(2);
    expect(stats.map((stat) => stat.id)).toEqual(shapeStatsReport(map, { wanted: RTP, maxStats: 300 }).stats.map((stat) => stat.id));
  });

  it('reads the whole report again once FULL_READ_INTERVAL_MS passed, so a stream that came as another went is found', () => {
    const { report, fullReads } = countingReport(CALLER_STATS);
    const memo = createWantedStatsMemo();
    // 250 ms polls over two intervals: full reads at their start and end only.
    for (let now = 0; now <= 2 * FULL_READ_INTERVAL_MS; now += 250) shapeStatsReport(report, { wanted: RTP, maxStats: 300 }, memo, now);
    expect(fullReads()).toBe(3);
  });

  it('with selectedPairOnly, keeps the pair the transport names and reads again when it names another', () => {
    const { report, map, fullReads } = countingReport(CALLER_STATS);
    const selection = { wanted: new Set(['candidate-pair', 'transport']), maxStats: 300, selectedPairOnly: true };
    const memo = createWantedStatsMemo();
    const pairIds = (stats: { type: string; id: string }[]) => stats.filter((stat) => stat.type === 'candidate-pair').map((stat) => stat.id);
    const transport = [...map.values()].find((stat) => (stat as { type: string }).type === 'transport') as { id: string; selectedCandidatePairId: string };
    const allPairs = [...map.values()].filter((stat) => (stat as { type: string }).type === 'candidate-pair') as { id: string }[];
    expect(allPairs.length).toBeGreaterThan(1);
    expect(pairIds(shapeStatsReport(report, selection, memo).stats)).toEqual([transport.selectedCandidatePairId]);
    expect(pairIds(shapeStatsReport(report, selection, memo).stats)).toEqual([transport.selectedCandidatePairId]);
    expect(fullReads()).toBe(1);
    const other = allPairs.find((pair) => pair.id !== transport.selectedCandidatePairId)!;
    map.set(transport.id, { ...transport, selectedCandidatePairId: other.id });
    expect(pairIds(shapeStatsReport(report, selection, memo).stats)).toEqual([other.id]);
    expect(fullReads()).toBe(2);
  });

  it('with selectedPairOnly and no transport (Firefox), reads again when the pair read is no longer marked selected', () => {
    const pair = (id: string, selected: boolean) => ({ id, type: 'candidate-pair', timestamp: 1, selected, nominated: true, state: 'succeeded' });
    const { report, map, fullReads } = countingReport([pair('a', true), pair('b', false)]);
    const selection = { wanted: new Set(['candidate-pair']), maxStats: 300, selectedPairOnly: true };
    const memo = createWantedStatsMemo();
    expect(shapeStatsReport(report, selection, memo).stats.map((stat) => stat.id)).toEqual(['a']);
    map.set('a', pair('a', false));
    map.set('b', pair('b', true));
    expect(shapeStatsReport(report, selection, memo).stats.map((stat) => stat.id)).toEqual(['b']);
    expect(fullReads()).toBe(2);
  });

  it('counts what the last full read left over the cap on every read by id', () => {
    const all = new Set(CALLER_STATS.map((stat) => String(stat.type)));
    const { report } = countingReport(CALLER_STATS);
    const memo = createWantedStatsMemo();
    shapeStatsReport(report, { wanted: all, maxStats: 5 }, memo);
    const byId = shapeStatsReport(report, { wanted: all, maxStats: 5 }, memo);
    expect(byId.stats).toHaveLength(5);
    expect(byId.overCap).toBe(CALLER_STATS.length - 5);
  });
});
