import { createBoundedMap } from '../resilience/resource-manager';
import type { DropCounter } from '../resilience/drop-counter';

/** Ended connections remembered at most; the oldest is forgotten past it (counted as `ended-connections-evicted-size`). */
export const MAX_ENDED_CONNECTIONS = 1_000;

/** A connection as the page hook names it within its tab and frame. */
export interface ConnectionAddress {
  tabId: number;
  frameId: number;
  pcId: string;
}

/**
 * Connections that have ended for good: the hook said so, or the document they lived in was
 * replaced (navigation, reload) or closed. A report of theirs that arrives afterwards was sent by
 * a document being left, before the end was known; taken in, it would recreate the group under
 * a new id until the stale sweep (about a minute). Chromium marks such messages
 * (`sender.documentLifecycle`); Firefox does not, so this is what refuses them there. The hook's
 * connection ids are random per document, so a new document never collides with an ended one.
 */
export interface EndedConnections {
  remember(connection: ConnectionAddress): void;
  /** True when a report for this connection comes too late: its connection has ended. */
  isEnded(connection: ConnectionAddress): boolean;
  size(): number;
  cap(): number;
}

/** Creates the set of ended connections, capped at `max` (default {@link MAX_ENDED_CONNECTIONS}), oldest forgotten first. */
export function createEndedConnections(options: { drops: DropCounter; max?: number }): EndedConnections {
  const ended = createBoundedMap<string, true>({
    maxSize: options.max ?? MAX_ENDED_CONNECTIONS,
    drops: options.drops,
    dropReason: 'ended-connections-evicted',
  });
  const keyOf = ({ tabId, frameId, pcId }: ConnectionAddress) => `${tabId}:${frameId}:${pcId}`;
  return {
    remember: (connection) => ended.set(keyOf(connection), true),
    isEnded: (connection) => ended.has(keyOf(connection)),
    size: () => ended.size,
    cap: () => ended.cap(),
  };
}
