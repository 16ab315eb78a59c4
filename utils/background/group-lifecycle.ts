import { decideCapture } from '../platforms/capture-scope';
import { MAX_CAPTURE_URL_LENGTH, type TrackedConnection } from '../integrity/connection-tracker';
import type { Settings } from '../settings/settings-schema';
import { targetKey, type GatewayTarget } from '../export/gateway-targets';
import type { GroupingKey } from '../export/pushgateway-client';

/**
 * When a tracked connection (and so its Pushgateway group) ends without a word from the page:
 * the decisions the exporter service applies on navigation, settings changes and install. Each
 * is a pure function of the entry and the event, so each is unit-tested on its own.
 */

/** A tracked connection as these decisions read it. */
export type LifecycleEntry = Pick<TrackedConnection, 'tabId' | 'frameId' | 'origin' | 'url' | 'startedAt' | 'lastReportAt'>;

/**
 * The part of a frame URL that capture decisions match: origin and path. Query and fragment are
 * left out (they carry meeting ids and tokens, and the tracker is persisted), and match patterns
 * with a path only need the path. Empty for URLs without an origin.
 */
export function captureUrl(frameUrl: string): string {
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return '';
  }
  if (url.origin === 'null') return '';
  return `${url.origin}${url.pathname}`.slice(0, MAX_CAPTURE_URL_LENGTH);
}

/** The URL a connection's capture is decided on: its frame URL, or (entries saved before frame URLs were kept) its origin. */
export function captureUrlOf(entry: Pick<LifecycleEntry, 'origin' | 'url'>): string {
  return entry.url || `${entry.origin}/`;
}

/** True when the settings no longer capture the frame the connection reports from: it ends and its group is deleted. */
export function isEndedBySettings(entry: Pick<LifecycleEntry, 'origin' | 'url'>, settings: Settings): boolean {
  return !decideCapture(captureUrlOf(entry), settings).enabled;
}

/** A document committed in a frame (`webNavigation.onCommitted`). */
export interface DocumentCommit {
  tabId: number;
  frameId: number;
  /** Chrome: 'prerender' for a page loaded in the background that is not shown (yet). */
  documentLifecycle?: string;
  /** When the document committed (Unix ms). */
  timeStamp?: number;
}

/**
 * True when a new document in `commit`'s frame ends the connection: a new top document
 * (navigation, reload) replaces every frame of the tab; a new document in a subframe replaces
 * that frame only. A prerendered page replaces nothing until it is shown. A connection first
 * reported after the commit belongs to the new document (the event reached a waking worker late):
 * ending it would refuse its reports for good, as the ended connections of a left document are.
 */
export function isEndedByNavigation(entry: Pick<LifecycleEntry, 'tabId' | 'frameId' | 'startedAt'>, commit: DocumentCommit): boolean {
  if (commit.documentLifecycle === 'prerender') return false;
  if (entry.tabId !== commit.tabId) return false;
  if (commit.timeStamp !== undefined && entry.startedAt > commit.timeStamp) return false;
  return commit.frameId === 0 || entry.frameId === commit.frameId;
}

/**
 * True for a message sent by a document that is being unloaded or was put in the back/forward
 * cache (Chrome's `sender.documentLifecycle`): its stats arrive after the navigation ended its
 * connections and would recreate their groups until the stale sweep.
 */
export function isFromLeavingDocument(sender: { documentLifecycle?: string }): boolean {
  return sender.documentLifecycle === 'pending_deletion' || sender.documentLifecycle === 'cached';
}

/**
 * True for a connection tracked before this worker started that has not reported since: after
 * an install, update or reload its content script is orphaned, so it has ended.
 */
export function isOrphanedAtInstall(entry: Pick<LifecycleEntry, 'lastReportAt'>, workerStartedAt: number): boolean {
  return entry.lastReportAt < workerStartedAt;
}

/**
 * Capture state of a tab for its badge, decided on the frame URLs its connections report from:
 * 'off' when none of them is captured any more, 'on' otherwise (also with no connections).
 */
export function tabCapture(entries: readonly Pick<LifecycleEntry, 'origin' | 'url'>[], settings: Settings): 'on' | 'off' {
  if (entries.length === 0) return 'on';
  return entries.every((entry) => isEndedBySettings(entry, settings)) ? 'off' : 'on';
}

/** One delete to queue in the outbox. */
export interface TargetedDelete {
  outboxId: string;
  groupingKey: GroupingKey;
  target: GatewayTarget;
}

/** A short, stable tag of a target for outbox ids (FNV-1a; a clash only merges two old targets' deletes of one group). */
export function targetTag(target: GatewayTarget): string {
  let hash = 0x811c9dc5;
  for (const char of targetKey(target)) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/**
 * The gateway URL or job changed: every exported group was pushed to `previous` under the
 * grouping key it was last pushed with, so each gets a delete bound there, under an outbox id
 * of its own so that the connection's next snapshot, for the new gateway, does not replace the delete.
 */
export function deletesForTargetChange(
  groups: readonly { groupId: string; groupingKey: GroupingKey }[],
  previous: GatewayTarget,
): TargetedDelete[] {
  const tag = targetTag(previous);
  return groups.map((group) => ({
    outboxId: `${group.groupId}@${tag}`,
    groupingKey: { ...group.groupingKey },
    target: previous,
  }));
}
