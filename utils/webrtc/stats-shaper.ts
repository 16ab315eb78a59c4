import type { RtcStat } from './report-schema';
import { HOOK_LIMITS } from './hook-limits';

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
}

/**
 * Turns an RTCStatsReport into plain objects the relay's schema accepts: only the wanted
 * types, at most `maxStats` objects, each with finite numbers, short strings, booleans and
 * records of numbers (e.g. `qualityLimitationDurations`); every other nested value is dropped,
 * so nothing page-controlled but data crosses the channel.
 */
export function shapeStatsReport(
  report: StatsReportLike,
  wanted: ReadonlySet<string>,
  maxStats: number,
  fields?: ReadonlyMap<string, readonly string[]>,
): ShapedStats {
  const stats: RtcStat[] = [];
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
  return { stats, overCap, malformed };
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
