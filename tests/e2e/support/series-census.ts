import { CANDIDATE_PAIRS_SPEC, catalogEnumSpec, catalogNumericSpec, catalogRecordSpec, infoSpec } from '../../../utils/metrics/conventional-naming';
import { QUALITY_METRIC_NAMES } from '../../../utils/metrics/quality-encoder';
import { ENUM_FIELDS, NUMERIC_FIELDS, RECORD_FIELDS } from '../../../utils/metrics/stats-field-catalog';
import { STATS_TYPES } from '../../../utils/settings/settings-schema';
import type { GatewayGroup } from './pushgateway';

/** Series the Pushgateway adds to every group by itself (not the extension's). */
const GATEWAY_FAMILIES: ReadonlySet<string> = new Set(['push_time_seconds', 'push_failure_time_seconds']);

/**
 * Every metric name a connection group may hold: the quality profile's names and, for every stats
 * type, each catalogued field under conventional naming (the `full` profile), its `_info` family and
 * the candidate-pair count. A superset of what one report gives; anything outside it was minted.
 */
export function catalogueFamilyNames(): Set<string> {
  const names = new Set<string>([...QUALITY_METRIC_NAMES, CANDIDATE_PAIRS_SPEC.name]);
  for (const type of STATS_TYPES) {
    names.add(infoSpec(type).name);
    for (const field of Object.keys(NUMERIC_FIELDS)) names.add(catalogNumericSpec(type, field)!.name);
    for (const field of Object.keys(RECORD_FIELDS)) names.add(catalogRecordSpec(type, field)!.name);
  }
  for (const key of Object.keys(ENUM_FIELDS)) {
    const [type, field] = key.split('/') as [string, string];
    names.add(catalogEnumSpec(type, field)!.name);
  }
  return names;
}

/** One series of a group: its family and its own labels (the group's grouping labels left out). */
export interface GroupSeries {
  name: string;
  labels: Record<string, string>;
}

/** The extension's series in one group as the gateway holds them (the gateway's own push times left out). */
export function groupSeries(group: GatewayGroup): GroupSeries[] {
  const series: GroupSeries[] = [];
  for (const [name, family] of Object.entries(group.families)) {
    if (GATEWAY_FAMILIES.has(name)) continue;
    for (const sample of family.metrics) {
      const labels = Object.fromEntries(Object.entries(sample.labels).filter(([label]) => group.labels[label] !== sample.labels[label]));
      series.push({ name, labels });
    }
  }
  return series;
}

/** The identity of a series (name and sorted labels), with the labels in `ignore` left out. */
export function seriesKey(series: GroupSeries, ignore: ReadonlySet<string> = new Set()): string {
  const labels = Object.entries(series.labels)
    .filter(([label]) => !ignore.has(label))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${series.name}{${labels.map(([label, value]) => `${label}=${JSON.stringify(value)}`).join(',')}}`;
}
