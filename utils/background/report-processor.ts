import type { ConnectionTracker, TrackedConnection } from '../integrity/connection-tracker';
import type { Outbox } from '../export/outbox';
import type { DropCounter } from '../resilience/drop-counter';
import type { QualityHistory } from '../quality/quality-history';
import type { NamingMode, Settings } from '../settings/settings-schema';
import type { HookReport } from '../webrtc/report-schema';
import { encodeSnapshot } from '../metrics/encode-snapshot';
import { connectionLabels } from './series-labels';
import { captureUrl } from './group-lifecycle';
import type { ReportSource } from './inbound-reports';

/** One validated report with where it came from and what platform that is. */
export interface InboundReport {
  source: ReportSource;
  platform: string;
  origin: string;
  report: HookReport;
}

/**
 * Grouping key of a connection's Pushgateway group: the group id the background assigned.
 * Conventional mode names the label in snake_case like every other label; legacy mode keeps
 * the older exporters' `peerConnectionId`, which their dashboards use.
 */
export function connectionGroupingKey(groupId: string, naming: NamingMode): Record<string, string> {
  return naming === 'legacy' ? { peerConnectionId: groupId } : { peer_connection_id: groupId };
}

interface ReportProcessorDeps {
  tracker: ConnectionTracker;
  outbox: Outbox;
  history: QualityHistory;
  drops: DropCounter;
  settings: () => Settings;
  now: () => number;
  /** Called after the outbox changed, so delivery can run. */
  onOutboxChanged: () => void;
  /**
   * Asked before a connection the tracker does not know yet is created; false drops the report
   * (the admitter counts its refusals, e.g. a rate limiter as `new-connection-rate-limited`).
   * Default: always admitted.
   */
  admitNewConnection?: (tabId: number) => boolean;
}

/**
 * Turns reports into outbox entries: a stats report becomes its connection's latest snapshot,
 * an ended connection a pending delete. Group ids come from the tracker, never from the page.
 */
export function createReportProcessor(deps: ReportProcessorDeps) {
  let accepted = 0;

  function deleteGroups(entries: readonly Pick<TrackedConnection, 'groupId'>[]): void {
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.groupId)) continue;
      seen.add(entry.groupId);
      deps.outbox.remove(entry.groupId, connectionGroupingKey(entry.groupId, deps.settings().namingMode));
      deps.history.forget(entry.groupId);
    }
    if (seen.size) deps.onOutboxChanged();
  }

  function process(item: InboundReport): void {
    const { source, report } = item;
    if (report.event === 'ended') {
      deleteGroups(deps.tracker.end(source.tabId, source.frameId, report.pcId));
      return;
    }
    // Past the per-tab cap every new connection evicts an older one, deleting its group: a page
    // inventing connection ids would churn groups (and gateway requests) as fast as it reports.
    const known = deps.tracker.get(source.tabId, source.frameId, report.pcId) !== undefined;
    if (!known && deps.admitNewConnection && !deps.admitNewConnection(source.tabId)) return;
    const settings = deps.settings();
    const cap = settings.reliability.maxStatsPerReport;
    const stats = report.stats.length > cap ? report.stats.slice(0, cap) : report.stats;
    if (stats.length < report.stats.length) deps.drops.count('stats-over-cap', report.stats.length - stats.length);

    const { entry, evicted } = deps.tracker.upsert({
      tabId: source.tabId,
      frameId: source.frameId,
      pcId: report.pcId,
      origin: item.origin,
      url: captureUrl(source.url),
      platform: item.platform,
      state: report.state,
    });
    if (evicted.length) deleteGroups(evicted);

    const encoded = encodeSnapshot(stats, {
      naming: settings.namingMode,
      labels: connectionLabels(settings, { platform: item.platform, pageUrl: source.url }),
      maxSeries: settings.reliability.maxSeriesPerPush,
    });
    if (encoded.droppedSeries) deps.drops.count('series-over-cap', encoded.droppedSeries);
    accepted++;
    deps.history.record(entry.groupId, stats, deps.now());
    if (encoded.text) {
      deps.outbox.put(entry.groupId, connectionGroupingKey(entry.groupId, settings.namingMode), encoded.text);
      deps.onOutboxChanged();
    }
  }

  /**
   * The naming mode changed: live groups get new grouping keys with their next report, so the
   * groups under the old keys are deleted now (under outbox ids of their own, so the next
   * snapshot of the same connection does not replace the deletion).
   */
  function namingModeChanged(previous: NamingMode): void {
    for (const entry of deps.tracker.list()) {
      deps.outbox.remove(`${entry.groupId}~${previous}`, connectionGroupingKey(entry.groupId, previous));
    }
    deps.onOutboxChanged();
  }

  return {
    process,
    namingModeChanged,
    /** Queues deletion of the groups of connections that ended outside a report (tab closed, integrity check). */
    deleteGroups,
    accepted: () => accepted,
  };
}
export type ReportProcessor = ReturnType<typeof createReportProcessor>;
