import type { RtcStat } from '../webrtc/report-schema';
import {
  CANDIDATE_PAIRS_SPEC,
  catalogEnumSpec,
  catalogNumericSpec,
  catalogRecordSpec,
  infoSpec,
} from './conventional-naming';
import { SCREENED_VALUE, screenLabelValue, type ScreenedLabel, type ScreeningTally } from './label-screening';
import type { ObjectSample } from './metric-families';
import { isForbiddenField } from './privacy';
import type { StatResolver } from './stat-labels';
import { CANDIDATE_PAIR_STATES, INFO_FIELDS, NON_METRIC_NUMERIC_FIELDS } from './stats-field-catalog';

const RECORD_KEY = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;
const MAX_RECORD_KEYS = 16;
const CODEC_INFO_TYPES = new Set(['inbound-rtp', 'outbound-rtp']);

/**
 * The samples of one stats object under conventional naming: catalogued counters and gauges,
 * enums as state sets, records as one labelled family, descriptive strings on an `_info` series
 * (screened: known values only, else `other`, counted in `tally`). Only catalogued fields become
 * metrics: a field the catalogue does not know (a page can send any) is skipped, so a page cannot
 * mint metric names. Identifiers and anything identifying are skipped too.
 */
export function conventionalObjectSamples(stat: RtcStat, resolve: StatResolver, tally: ScreeningTally): ObjectSample[] {
  const samples: ObjectSample[] = [];
  const type = stat.type;
  for (const [field, value] of Object.entries(stat)) {
    if (field === 'type' || NON_METRIC_NUMERIC_FIELDS.has(field) || isForbiddenField(field)) continue;
    if (typeof value === 'number') pushNumber(samples, type, field, value);
    else if (typeof value === 'string') pushEnum(samples, type, field, value, tally);
    else if (value && typeof value === 'object') pushRecord(samples, type, field, value);
  }
  const info = infoSample(stat, resolve, tally);
  if (info) samples.push(info);
  return samples;
}

/** Report-wide samples: the count of candidate pairs by ICE state. */
export function conventionalReportSamples(stats: readonly RtcStat[]): ObjectSample[] {
  const counts = new Map<string, number>(CANDIDATE_PAIR_STATES.map((state) => [state, 0]));
  let pairs = 0;
  for (const stat of stats) {
    if (stat.type !== 'candidate-pair' || typeof stat.state !== 'string' || !counts.has(stat.state)) continue;
    counts.set(stat.state, (counts.get(stat.state) ?? 0) + 1);
    pairs += 1;
  }
  if (pairs === 0) return [];
  return [...counts].map(([state, count]) => ({ spec: CANDIDATE_PAIRS_SPEC, labels: [['state', state]], value: count }));
}

const MAX_CACHED_SPECS = 2_048;

/**
 * Catalogue lookups build names with regexes; a report asks for the same few hundred each poll,
 * so they are cached. Field names come from the page: the cache is bounded, not keyed forever.
 */
function boundedMemo<T>(lookup: (type: string, field: string) => T): (type: string, field: string) => T {
  const cache = new Map<string, T>();
  return (type, field) => {
    const key = `${type}\u0000${field}`;
    const hit = cache.get(key);
    if (hit !== undefined || cache.has(key)) return hit as T;
    if (cache.size >= MAX_CACHED_SPECS) cache.clear();
    const value = lookup(type, field);
    cache.set(key, value);
    return value;
  };
}

const cachedNumericSpec = boundedMemo(catalogNumericSpec);
const cachedEnumSpec = boundedMemo(catalogEnumSpec);

function pushNumber(samples: ObjectSample[], type: string, field: string, value: number): void {
  const spec = cachedNumericSpec(type, field);
  if (spec) samples.push({ spec, labels: [], value: spec.scale === 1 ? value : value * spec.scale });
}

function pushEnum(samples: ObjectSample[], type: string, field: string, value: string, tally: ScreeningTally): void {
  const spec = cachedEnumSpec(type, field);
  if (!spec) return;
  // A value the catalogue does not know (a newer browser, or a page) shows as `other`, counted.
  const known = spec.values.includes(value);
  if (!known) tally.screened += 1;
  const current = known ? value : SCREENED_VALUE;
  for (const state of spec.values) samples.push({ spec, labels: [[spec.label, state]], value: state === current ? 1 : 0 });
  if (!spec.values.includes(current)) samples.push({ spec, labels: [[spec.label, current]], value: 1 });
}

function pushRecord(samples: ObjectSample[], type: string, field: string, record: object): void {
  const spec = catalogRecordSpec(type, field);
  if (!spec) return;
  const entries = Object.entries(record)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && RECORD_KEY.test(entry[0]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_RECORD_KEYS);
  for (const [key, value] of entries) samples.push({ spec, labels: [[spec.label, key]], value });
}

function infoSample(stat: RtcStat, resolve: StatResolver, tally: ScreeningTally): ObjectSample | undefined {
  const labels: Array<[string, string]> = [];
  if (CODEC_INFO_TYPES.has(stat.type)) {
    const codec = resolve(stat.codecId);
    if (typeof codec?.mimeType === 'string') labels.push(['codec', screenLabelValue('codec', codec.mimeType, tally)]);
  }
  const fields = Object.hasOwn(INFO_FIELDS, stat.type) ? INFO_FIELDS[stat.type]! : {};
  for (const [field, label] of Object.entries(fields)) {
    const value = stat[field];
    if (typeof value === 'string' && value !== '') labels.push([label, screenLabelValue(label as ScreenedLabel, value, tally)]);
  }
  return labels.length > 0 ? { spec: infoSpec(stat.type), labels, value: 1 } : undefined;
}
