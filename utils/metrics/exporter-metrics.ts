import type { CallCounters } from '../export/export-state';
import type { BreakerStateName, Health } from '../messaging/health';
import { BUILTIN_PLATFORM_IDS } from '../platforms/builtin-platforms';
import { QUALITY_CLASSES } from '../quality/quality-types';
import { commonLabels } from './encode-snapshot';
import { createFamilyCollector, type MetricSpec } from './metric-families';
import { writeExposition } from './text-writer';

/** The extension's own health, as exported in its own Pushgateway group. */
export interface ExporterSelfMetrics {
  pushesOk: number;
  pushesFailed: number;
  deletesOk: number;
  breakerState: BreakerStateName;
  outboxGroups: number;
  outboxBytes: number;
  /** The outbox's group cap (setting), so "outbox over 80 %" is one division. */
  outboxMaxGroups: number;
  /** The configured push interval, seconds (for "no push for N intervals"). */
  pushIntervalSeconds: number;
  /** Connections started by platform and ended by platform and final class, since install. */
  calls: CallCounters;
  pendingDeletes: number;
  rejectedGroups: number;
  connections: number;
  reportsAccepted: number;
  /** Ms since the epoch of the last successful push, or null if none yet. */
  lastSuccessAt: number | null;
  /** Everything dropped, by reason (from the DropCounter). */
  drops: Record<string, number>;
  degraded: boolean;
}

/** Breaker state as a number: 0 closed, 1 open, 2 half-open. Isolated (held open by hand) counts as open. */
export const BREAKER_STATE_VALUES: Readonly<Record<BreakerStateName, number>> = {
  closed: 0,
  open: 1,
  'half-open': 2,
  isolated: 1,
};

const MAX_DROP_REASONS = 64;
/** Platform label values are a known set; anything else (never expected) is not exported. */
const PLATFORMS: ReadonlySet<string> = new Set([...BUILTIN_PLATFORM_IDS, 'custom']);
const CLASSES: ReadonlySet<string> = new Set(QUALITY_CLASSES);
const OWN_LABELS: ReadonlySet<string> = new Set(['reason', 'platform', 'quality_class']);

const counter = (name: string, help: string): MetricSpec => ({ name: `webrtc_exporter_${name}`, type: 'counter', help });
const gauge = (name: string, help: string): MetricSpec => ({ name: `webrtc_exporter_${name}`, type: 'gauge', help });

const SPECS = {
  pushes: counter('pushes_total', 'Successful pushes to the Pushgateway.'),
  pushFailures: counter('push_failures_total', 'Failed pushes to the Pushgateway (HTTP errors, timeouts, network errors).'),
  deletes: counter('deletes_total', 'Groups deleted from the Pushgateway after their connection ended.'),
  reports: counter('reports_accepted_total', 'Stats reports accepted from pages.'),
  dropped: counter('dropped_total', 'Items dropped, rejected or evicted, by reason.'),
  breaker: gauge('breaker_state', 'Network circuit breaker: 0 closed, 1 open, 2 half-open.'),
  outboxGroups: gauge('outbox_groups', 'Groups waiting in the outbox.'),
  outboxBytes: gauge('outbox_bytes', 'Bytes of exposition text waiting in the outbox.'),
  pendingDeletes: gauge('pending_deletes', 'Group deletions waiting to be sent.'),
  rejectedGroups: gauge('rejected_groups', 'Groups whose last push was refused with a 4xx.'),
  connections: gauge('connections', 'Peer connections tracked.'),
  lastSuccess: gauge('last_success_timestamp_seconds', 'Unix time of the last successful push.'),
  degraded: gauge('degraded', '1 while the exporter runs in degraded mode.'),
  outboxMaxGroups: gauge('outbox_max_groups', 'The outbox group cap.'),
  pushInterval: gauge('push_interval_seconds', 'The configured push interval.'),
  started: { name: 'webrtc_connections_started_total', type: 'counter', help: 'Connections that became exported (connected or had RTP).' },
  ended: { name: 'webrtc_connections_ended_total', type: 'counter', help: 'Ended connections by their final (worst) quality class.' },
} as const satisfies Record<string, MetricSpec>;

/**
 * The extension's health as Prometheus text, conventional names only (`webrtc_exporter_…`),
 * types fixed per name. Non-finite or negative counts are left out rather than pushed.
 */
export function encodeExporterMetrics(self: ExporterSelfMetrics, labels: Record<string, string>): string {
  // The names this encoder puts on samples itself win over a caller's label of the same name.
  const common = commonLabels(labels).filter(([name]) => !OWN_LABELS.has(name));
  const collector = createFamilyCollector(MAX_DROP_REASONS + 128);
  const put = (spec: MetricSpec, value: number, extra: Array<[string, string]> = []) => {
    if (Number.isFinite(value) && value >= 0) collector.add(spec, [...common, ...extra], value);
  };
  put(SPECS.pushes, self.pushesOk);
  put(SPECS.pushFailures, self.pushesFailed);
  put(SPECS.deletes, self.deletesOk);
  put(SPECS.reports, self.reportsAccepted);
  const reasons = Object.keys(self.drops).sort().slice(0, MAX_DROP_REASONS);
  for (const reason of reasons) put(SPECS.dropped, self.drops[reason] ?? NaN, [['reason', reason]]);
  put(SPECS.breaker, BREAKER_STATE_VALUES[self.breakerState] ?? NaN);
  put(SPECS.outboxGroups, self.outboxGroups);
  put(SPECS.outboxBytes, self.outboxBytes);
  put(SPECS.outboxMaxGroups, self.outboxMaxGroups);
  put(SPECS.pushInterval, self.pushIntervalSeconds);
  for (const platform of Object.keys(self.calls.started).sort()) {
    if (PLATFORMS.has(platform)) put(SPECS.started, self.calls.started[platform]!, [['platform', platform]]);
  }
  for (const key of Object.keys(self.calls.ended).sort()) {
    const [platform = '', qualityClass = ''] = key.split('/');
    if (PLATFORMS.has(platform) && CLASSES.has(qualityClass)) {
      put(SPECS.ended, self.calls.ended[key]!, [['platform', platform], ['quality_class', qualityClass]]);
    }
  }
  put(SPECS.pendingDeletes, self.pendingDeletes);
  put(SPECS.rejectedGroups, self.rejectedGroups);
  put(SPECS.connections, self.connections);
  if (self.lastSuccessAt !== null) put(SPECS.lastSuccess, self.lastSuccessAt / 1000);
  put(SPECS.degraded, self.degraded ? 1 : 0);
  return writeExposition(collector.families());
}

/** Picks the exported figures out of the background's Health, plus what health does not carry. */
export function exporterMetricsFromHealth(
  health: Health,
  extra: Pick<ExporterSelfMetrics, 'outboxMaxGroups' | 'pushIntervalSeconds' | 'calls'>,
): ExporterSelfMetrics {
  const { delivery } = health;
  return {
    ...extra,
    pushesOk: delivery.pushesOk,
    pushesFailed: delivery.pushesFailed,
    deletesOk: delivery.deletesOk,
    breakerState: delivery.breaker,
    outboxGroups: delivery.outboxGroups,
    outboxBytes: delivery.outboxBytes,
    pendingDeletes: delivery.pendingDeletes,
    rejectedGroups: delivery.rejectedGroups,
    connections: health.connections.total,
    reportsAccepted: health.reportsAccepted,
    lastSuccessAt: delivery.lastSuccessAt,
    drops: health.drops,
    degraded: health.status === 'degraded',
  };
}
