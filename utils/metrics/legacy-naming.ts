import type { RtcStat } from '../webrtc/report-schema';
import { sanitizeMetricName } from './exposition-format';
import type { MetricSpec, ObjectSample } from './metric-families';
import { isForbiddenField } from './privacy';

/**
 * The older exporters' numbers for `qualityLimitationReason`, which their dashboards plot.
 */
export const LEGACY_QUALITY_LIMITATION_REASONS: Readonly<Record<string, number>> = {
  none: 0,
  bandwidth: 1,
  cpu: 2,
  other: 3,
};

const MAX_RECORD_KEYS = 16;

/**
 * Legacy name: `<stats type with - as _>_<field as is>`, e.g. `inbound_rtp_bytesReceived`,
 * `remote_inbound_rtp_roundTripTime`, `peer_connection_timestamp`; a record's keys are appended
 * (`outbound_rtp_qualityLimitationDurations_bandwidth`). Always a gauge, as the older exporters
 * declared every name.
 */
export function legacyMetricSpec(statsType: string, field: string, key?: string): MetricSpec {
  const name = sanitizeMetricName(`${statsType}_${field}${key === undefined ? '' : `_${key}`}`.replace(/-/g, '_'));
  // HELP from the name alone: the Pushgateway refuses a name whose HELP differs between groups,
  // and two odd field spellings can sanitise to one name.
  return { name, type: 'gauge', help: `WebRTC getStats value ${name} (legacy naming).` };
}

/**
 * The samples of one stats object under legacy naming: every numeric field as the raw value
 * (timestamps in ms, the stats object's own `timestamp` included), records flattened, and
 * `qualityLimitationReason` as its legacy number. Strings and booleans were labels in the older
 * exporters; here only the bounded per-object labels remain, and identifying fields are skipped.
 */
export function legacyObjectSamples(stat: RtcStat): ObjectSample[] {
  const samples: ObjectSample[] = [];
  for (const [field, value] of Object.entries(stat)) {
    if (field === 'type' || isForbiddenField(field)) continue;
    if (typeof value === 'number') {
      samples.push({ spec: legacyMetricSpec(stat.type, field), labels: [], value });
    } else if (field === 'qualityLimitationReason' && typeof value === 'string') {
      const code = Object.hasOwn(LEGACY_QUALITY_LIMITATION_REASONS, value) ? LEGACY_QUALITY_LIMITATION_REASONS[value] : undefined;
      if (code !== undefined) samples.push({ spec: legacyMetricSpec(stat.type, field), labels: [], value: code });
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value)
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, MAX_RECORD_KEYS);
      for (const [key, n] of entries) samples.push({ spec: legacyMetricSpec(stat.type, field, key), labels: [], value: n });
    }
  }
  return samples;
}
