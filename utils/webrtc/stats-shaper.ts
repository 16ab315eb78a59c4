import type { RtcStat } from './report-schema';
import { HOOK_LIMITS } from './hook-limits';
import { selectedCandidatePairs } from '../quality/selected-pair';

/** What of a report the hook keeps (from the hook config). */
export interface StatsSelection {
  /** Stats types kept. */
  wanted: ReadonlySet<string>;
  /** Most stats objects kept per report; the rest are counted in `overCap`. */
  maxStats: number;
  /** Per type, the only fields copied (besides id, type, timestamp); a type not listed keeps all. */
  fields?: ReadonlyMap<string, readonly string[]>;
  /** Keep only the candidate pairs media flows on (selectedCandidatePairs), not every pair. */
  selectedPairOnly?: boolean;
}

/** What shaping one getStats() result produced, and what it left out. */
export interface ShapedStats {
  stats: RtcStat[];
  /** Stats objects of a wanted type that did not fit under the per-report cap. */
  overCap: number;
  /** Stats objects without a usable id, type or timestamp. */
  malformed: number;
}

/** The part of RTCStatsReport the shaper uses (it is maplike in every browser). */
export interface StatsReportLike {
  forEach(callback: (value: unknown) => void): void;
  /** One stats object by id (maplike `get`); used with a {@link WantedStatsMemo}. */
  get?(id: string): unknown;
  /** Number of stats objects (maplike `size`). */
  readonly size?: number;
}

/**
 * How long, ms, a connection's wanted stats may be read by id before a full read looks for new
 * ones anyway (a wanted stat that appeared as an unwanted one went, which leaves the report's
 * size and the remembered ids alone). A full read also happens whenever the size changes or a
 * remembered id is gone. Time, not a count of polls: a full read builds all ~25 stats objects of
 * an audio + video report, as much main-thread time as ~5 reads by id, so at a 250 ms poll a
 * count of 5 spent more on full reads than on the reads by id (page profile, docs/benchmarks.md).
 */
export const FULL_READ_INTERVAL_MS = 10_000;

/**
 * What the last full read of one connection's report found: the ids of its wanted stats. Why:
 * `forEach` turns every stats object of the report into a JS object on the page's main thread
 * (25 per connection in an audio + video call), the largest part of the hook's own time per poll
 * (CDP profile, docs/benchmarks.md); `get(id)` builds only the wanted ones (8 of 25 in the
 * quality profile). One per connection, created by the caller; the shaper keeps it up to date.
 */
export interface WantedStatsMemo {
  ids: string[];
  /** The report's size at the last full read. */
  size: number;
  /** When the last full read happened (the poller's clock), ms. */
  fullReadAt: number;
  /** What the last full read left out over the cap; counted again on reads by id. */
  overCap: number;
}

/** A memo that makes the next read a full one. */
export function createWantedStatsMemo(): WantedStatsMemo {
  return { ids: [], size: -1, fullReadAt: 0, overCap: 0 };
}

/**
 * Turns an RTCStatsReport into plain objects the relay's schema accepts: only the wanted
 * types, at most `maxStats` objects, each with finite numbers, short strings, booleans and
 * records of numbers (e.g. `qualityLimitationDurations`); every other nested value is dropped,
 * so nothing page-controlled but data crosses the channel.
 */
export function shapeStatsReport(report: StatsReportLike, selection: StatsSelection, memo?: WantedStatsMemo, now = 0): ShapedStats {
  const { wanted, maxStats, fields } = selection;
  if (memo) {
    const known = readById(report, selection, memo, now);
    if (known) return known;
  }
  let stats: RtcStat[] = [];
  let overCap = 0;
  let malformed = 0;
  report.forEach((value) => {
    if (typeof value !== 'object' || value === null) {
      malformed++;
      return;
    }
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string' || !wanted.has(type)) return;
    if (stats.length >= maxStats) {
      overCap++;
      return;
    }
    const stat = toPlainStat(value as Record<string, unknown>, fields?.get(type));
    if (stat) stats.push(stat);
    else malformed++;
  });
  if (selection.selectedPairOnly) stats = withSelectedPairsOnly(stats);
  if (memo) {
    memo.ids = stats.map((stat) => stat.id);
    memo.size = typeof report.size === 'number' ? report.size : -1;
    memo.fullReadAt = now;
    memo.overCap = overCap;
  }
  return { stats, overCap, malformed };
}

/**
 * The memo's stats read by id, or null when a full read is due: no usable memo, the report's
 * size changed, {@link FULL_READ_INTERVAL_MS} passed since the last full read, or a remembered id
 * is gone or changed type or shape.
 */
function readById(report: StatsReportLike, selection: StatsSelection, memo: WantedStatsMemo, now: number): ShapedStats | null {
  const { wanted, fields } = selection;
  if (memo.ids.length === 0 || now - memo.fullReadAt >= FULL_READ_INTERVAL_MS || typeof report.get !== 'function' || report.size !== memo.size) return null;
  const stats: RtcStat[] = [];
  for (const id of memo.ids) {
    const value = report.get(id) as { type?: unknown } | undefined;
    if (typeof value !== 'object' || value === null || typeof value.type !== 'string' || !wanted.has(value.type)) return null;
    const stat = toPlainStat(value as Record<string, unknown>, fields?.get(value.type));
    if (!stat) return null;
    stats.push(stat);
  }
  // Media moved to another pair (ICE restart, network change): the remembered one is no longer it.
  if (selection.selectedPairOnly && !stillSelected(stats)) return null;
  return { stats, overCap: memo.overCap, malformed: 0 };
}

/**
 * Copies one stats object into a plain object, or returns null when its id/type/timestamp are
 * unusable. With `only`, just those fields are read (the rest is never touched, which is most of
 * a report in the quality profile); without, every own field.
 */
export function toPlainStat(source: Record<string, unknown>, only?: readonly string[]): RtcStat | null {
  const { id, type, timestamp } = source;
  if (typeof id !== 'string' || id.length > HOOK_LIMITS.maxStatStringLength) return null;
  if (typeof type !== 'string' || type.length > HOOK_LIMITS.maxStatTypeLength) return null;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return null;
  const stat: RtcStat = { id, type, timestamp };
  let fields = 3;
  for (const key of only ?? Object.keys(source)) {
    if (fields >= HOOK_LIMITS.maxFieldsPerStat) break;
    // `__proto__` is no stats field, and assigning it would replace the copy's prototype.
    if (key === 'id' || key === 'type' || key === 'timestamp' || key === '__proto__') continue;
    const value = plainValue(source[key]);
    if (value === undefined) continue;
    stat[key] = value;
    fields++;
  }
  return stat;
}

type StatValue = RtcStat[string];

function plainValue(value: unknown): StatValue | undefined {
  switch (typeof value) {
    case 'number':
      // JSON and the schema both refuse NaN and Infinity.
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    case 'string':
      return value.length <= HOOK_LIMITS.maxStatStringLength ? value : undefined;
    case 'object':
      return value !== null && !Array.isArray(value) ? numberRecord(value as Record<string, unknown>) : undefined;
    default:
      return undefined;
  }
}

function numberRecord(source: Record<string, unknown>): Record<string, number> | undefined {
  const record: Record<string, number> = {};
  const keys = Object.keys(source);
  if (keys.length > HOOK_LIMITS.maxFieldsPerStat) return undefined;
  for (const key of keys) {
    const value = source[key];
    if (key.length > HOOK_LIMITS.maxRecordKeyLength || typeof value !== 'number' || !Number.isFinite(value)) {
      return undefined;
    }
    record[key] = value;
  }
  return record;
}

/** The stats without the candidate pairs media does not flow on. */
function withSelectedPairsOnly(stats: RtcStat[]): RtcStat[] {
  const selected = new Set(selectedCandidatePairs(stats));
  return stats.filter((stat) => stat.type !== 'candidate-pair' || selected.has(stat));
}

/**
 * Whether the pairs read by id are still the ones media flows on: each is named by a transport
 * read with it, or (no transport names one: Firefox) not marked unselected; and every pair a
 * transport names was read.
 */
function stillSelected(stats: RtcStat[]): boolean {
  const named = new Set<string>();
  const pairIds = new Set<string>();
  for (const stat of stats) {
    if (stat.type === 'transport' && typeof stat.selectedCandidatePairId === 'string') named.add(stat.selectedCandidatePairId);
    else if (stat.type === 'candidate-pair') pairIds.add(stat.id);
  }
  for (const stat of stats) {
    if (stat.type !== 'candidate-pair') continue;
    if (named.size > 0 ? !named.has(stat.id) : stat.selected === false) return false;
  }
  for (const id of named) if (!pairIds.has(id)) return false;
  return true;
}
