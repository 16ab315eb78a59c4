import type { ConnectionTracker, TrackedConnection } from '../integrity/connection-tracker';
import type { ExportSink } from '../export/export-sink';
import type { ExportState } from '../export/export-state';
import { createPushScheduler, type PlannedPush } from '../export/push-scheduler';
import type { DropCounter } from '../resilience/drop-counter';
import type { QualityHistory } from '../quality/quality-history';
import type { ConnectionWindow, QualityClass } from '../quality/quality-types';
import type { Settings } from '../settings/settings-schema';
import type { HookReport, RtcStat, StatsReport } from '../webrtc/report-schema';
import { connectionGroupingKey, encodeConnection } from '../metrics/export-profiles';
import { SCREENED_DROP_REASON } from '../metrics/label-screening';
import { createSsrcAdmission, type SsrcAdmission } from '../metrics/ssrc-admission';
import { connectionLabels } from './series-labels';
import { captureUrl } from './group-lifecycle';
import type { ReportSource } from './inbound-reports';
import type { EndedConnections } from './ended-connections';

/** One validated report with where it came from and what platform that is. */
export interface InboundReport {
  source: ReportSource;
  platform: string;
  origin: string;
  report: HookReport;
}

/**
 * The quality engine's per-connection window (utils/quality/quality-window.ts), as this module
 * uses it: snapshots in at poll rate, one window out per push.
 */
export interface QualityWindowLike {
  add(stats: RtcStat[], at: number): void;
  take(at: number): ConnectionWindow | null;
  worstClass(): QualityClass | null;
  /** SSRCs left unfollowed so far because the connection had too many (cumulative). */
  droppedStreams(): number;
}

interface ReportProcessorDeps {
  tracker: ConnectionTracker;
  /** The outbox or the sample buffer, as the settings choose. */
  sink: ExportSink;
  exportState: ExportState;
  history: QualityHistory;
  drops: DropCounter;
  settings: () => Settings;
  now: () => number;
  /** A fresh quality window for a new connection, with the current thresholds. */
  createWindow: () => QualityWindowLike;
  /** Called after the sink changed, so delivery can run. */
  onOutboxChanged: () => void;
  /**
   * Asked before a connection the tracker does not know yet is created; false drops the report
   * (the admitter counts its refusals, e.g. a rate limiter as `new-connection-rate-limited`).
   * Default: always admitted.
   */
  admitNewConnection?: (tabId: number) => boolean;
  /** Connections that ended for good: a late report of theirs is refused (counted as `report-after-end`). */
  ended: EndedConnections;
}

/** Drop reason of a report that arrived after its connection ended (a document being left sent it). */
export const REPORT_AFTER_END = 'report-after-end';

interface LiveConnection {
  window: QualityWindowLike;
  /** The latest report: raw fields of the `full` and `legacy` profiles. */
  stats: RtcStat[];
  pageUrl: string;
  /** The window's droppedStreams() at the previous report, so only the new ones are counted. */
  droppedStreams: number;
  /** False until the first push: that one goes even without a window (the start time, at once). */
  pushed: boolean;
  /** The SSRCs this connection may export as `ssrc` label values (full and legacy profiles). */
  ssrcs: SsrcAdmission;
  /** ssrcs.refused() at the previous push, so only the new refusals are counted. */
  refusedSsrcs: number;
  /** When its latest snapshot was taken (Unix ms): the next one is never dated earlier. */
  lastAt: number;
}

const RTP_TYPES = new Set(['inbound-rtp', 'outbound-rtp']);
/** The grouping key every connection group had before export state existed (conventional naming). */
const LEGACY_EXPORT_KEY = (groupId: string): Record<string, string> => ({ peer_connection_id: groupId });

/** Issue 10 item 2: a connection is exported once it has connected or carries RTP; never-connected ones are only tracked. */
function isExportable(report: StatsReport, stats: readonly RtcStat[]): boolean {
  return report.state === 'connected' || stats.some((stat) => RTP_TYPES.has(stat.type));
}

/** Short stable tag of a grouping key, so deletes under two old keys of one group get two outbox ids. */
function keyTag(key: Record<string, string>): string {
  let hash = 0x811c9dc5;
  const text = JSON.stringify(key);
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/**
 * Turns reports into pushes: every report feeds its connection's quality window (and the popup's
 * chart history, at poll rate); the push scheduler takes the windows at the push interval and
 * encodes them under the export profile; an ended connection's group is deleted at once. Group
 * and call ids come from the tracker and the export state, never from the page.
 */
export function createReportProcessor(deps: ReportProcessorDeps) {
  let accepted = 0;
  const live = new Map<string, LiveConnection>();

  const scheduler = createPushScheduler({
    pushIntervalMs: () => deps.settings().pushIntervalMs,
    collect,
    sink: deps.sink,
    onOutboxChanged: deps.onOutboxChanged,
    now: deps.now,
  });

  function collect(groupId: string, at: number): PlannedPush | null {
    const connection = live.get(groupId);
    const exported = deps.exportState.get(groupId);
    if (!connection || !exported) return null;
    const window = connection.window.take(at);
    const worst = connection.window.worstClass();
    if (worst !== null) deps.exportState.noteClass(groupId, worst);
    // No new snapshot since the last push: nothing new to say (the gateway keeps the last one).
    if (window === null && connection.pushed) return null;
    connection.pushed = true;
    const settings = deps.settings();
    const labels = connectionLabels(settings, { platform: exported.platform, pageUrl: connection.pageUrl });
    const profile = settings.exportProfile;
    const encoded = encodeConnection(
      profile,
      { window, stats: connection.stats, startedAt: exported.startedAt },
      { labels, maxSeries: settings.reliability.maxSeriesPerPush, ssrcs: connection.ssrcs },
    );
    if (encoded.droppedSeries) deps.drops.count('series-over-cap', encoded.droppedSeries);
    const refusedSsrcs = connection.ssrcs.refused();
    if (refusedSsrcs > connection.refusedSsrcs) deps.drops.count('ssrc-labels-over-cap', refusedSsrcs - connection.refusedSsrcs);
    connection.refusedSsrcs = refusedSsrcs;
    if (encoded.screenedLabels) deps.drops.count(SCREENED_DROP_REASON, encoded.screenedLabels);
    const key = connectionGroupingKey(profile, { groupId, callId: exported.callId, labels });
    if (keyTag(key) !== keyTag(exported.key)) {
      // Profile, agent id or privacy mode changed: the group under the old key is deleted (under an
      // outbox id of its own, so the push under the new key does not replace the delete).
      deps.sink.remove(`${groupId}~${keyTag(exported.key)}`, exported.key);
      deps.exportState.setKey(groupId, key);
    }
    return { groupingKey: key, body: encoded.text };
  }

  function deleteGroups(entries: readonly Pick<TrackedConnection, 'groupId'>[]): void {
    for (const { groupId } of entries) {
      const exported = deps.exportState.get(groupId);
      // Removed while the connection and its export state are still known: a remote-write sink
      // takes the final window from them.
      if (exported) scheduler.remove(groupId, exported.key);
      deps.exportState.end(groupId);
      const seenHere = live.delete(groupId);
      deps.history.forget(groupId);
      if (exported) continue;
      // Seen by this worker and never exported (never connected): it has no group to delete.
      if (seenHere) scheduler.forget(groupId);
      // Tracked by an earlier worker or version that left no export state: its group, if any, is
      // under the key versions before the quality profile used. A DELETE of a missing group is harmless.
      else scheduler.remove(groupId, LEGACY_EXPORT_KEY(groupId));
    }
  }

  /** Connections whose document is gone (navigation, reload, tab closed): groups deleted, late reports refused. */
  function endForGood(entries: readonly Pick<TrackedConnection, 'groupId' | 'tabId' | 'frameId' | 'pcId'>[]): void {
    for (const entry of entries) deps.ended.remember(entry);
    deleteGroups(entries);
  }

  function process(item: InboundReport): void {
    const { source, report } = item;
    const address = { tabId: source.tabId, frameId: source.frameId, pcId: report.pcId };
    if (report.event === 'ended') {
      deps.ended.remember(address);
      deleteGroups(deps.tracker.end(source.tabId, source.frameId, report.pcId));
      return;
    }
    if (deps.ended.isEnded(address)) {
      deps.drops.count(REPORT_AFTER_END);
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

    const upserted = deps.tracker.upsert({
      tabId: source.tabId,
      frameId: source.frameId,
      pcId: report.pcId,
      origin: item.origin,
      url: captureUrl(source.url),
      platform: item.platform,
      state: report.state,
    });
    // Refused (counted by the tracker): only connected calls left to make room, which a newcomer never displaces.
    if (!upserted) return;
    const { entry, evicted } = upserted;
    if (evicted.length) deleteGroups(evicted);
    accepted++;
    // When the snapshot was taken: the hook holds snapshots up to its report interval and sends them
    // together, saying how long each waited. Never before the connection's previous snapshot, so a
    // forged or skewed heldMs cannot make a window run backwards.
    const previous = live.get(entry.groupId);
    const at = Math.max(deps.now() - (report.heldMs ?? 0), previous?.lastAt ?? Number.NEGATIVE_INFINITY);
    deps.history.record(entry.groupId, stats, at);

    let connection = live.get(entry.groupId);
    if (!connection) {
      if (live.size >= settings.reliability.maxConnectionsTotal) {
        // The tracker's total cap keeps this from happening; if it ever does, say so rather than grow.
        deps.drops.count('quality-window-over-cap');
        return;
      }
      // A connection exported before this worker started has its last push in the gateway already.
      const pushed = deps.exportState.get(entry.groupId) !== undefined;
      connection = {
        window: deps.createWindow(),
        stats,
        pageUrl: source.url,
        pushed,
        droppedStreams: 0,
        ssrcs: createSsrcAdmission(),
        refusedSsrcs: 0,
        lastAt: at,
      };
      live.set(entry.groupId, connection);
    }
    connection.window.add(stats, at);
    connection.lastAt = at;
    // A page can claim any number of SSRCs: those past the window's cap are left out, and shown.
    const droppedStreams = connection.window.droppedStreams();
    if (droppedStreams > connection.droppedStreams) deps.drops.count('quality-streams-over-cap', droppedStreams - connection.droppedStreams);
    connection.droppedStreams = droppedStreams;
    connection.stats = stats;
    connection.pageUrl = source.url;

    if (scheduler.has(entry.groupId)) return;
    if (deps.exportState.get(entry.groupId)) {
      // Exported before this worker started: the gateway has its last push; the next tick refreshes it.
      scheduler.add(entry.groupId, false);
      return;
    }
    if (!isExportable(report, stats)) return;
    const labels = connectionLabels(settings, { platform: item.platform, pageUrl: source.url });
    const callId = deps.exportState.callIdFor(source.tabId);
    const key = connectionGroupingKey(settings.exportProfile, { groupId: entry.groupId, callId, labels });
    if (!deps.exportState.begin(entry.groupId, { tabId: source.tabId, callId, platform: item.platform, startedAt: entry.startedAt, key })) return;
    scheduler.add(entry.groupId, true);
  }

  return {
    process,
    /** Queues deletion of the groups of connections that ended outside a report (tab closed, integrity check). */
    deleteGroups,
    endForGood,
    /** Starts the push timer; call once the stored state is restored. */
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
    accepted: () => accepted,
    /** Live connections with a quality window (for the resource view). */
    size: () => live.size,
    scheduler: () => scheduler.stats(),
  };
}
export type ReportProcessor = ReturnType<typeof createReportProcessor>;
