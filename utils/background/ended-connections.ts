import { createBoundedMap } from '../resilience/resource-manager';
import type { DropCounter } from '../resilience/drop-counter';

/** Ended connections remembered at most; the oldest is forgotten past it (counted as `ended-connections-evicted-size`). */
export const MAX_ENDED_CONNECTIONS = 1_000;

/**
 * How long an ended connection is remembered. Its late reports were sent before the end was known
 * and wait at most in the relay's 100 ms flush and the background's queue: seconds even on a loaded
 * machine. Forgetting it then keeps the set at its resting size once calls stop churning.
 */
export const ENDED_CONNECTION_MEMORY_MS = 15_000;

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

/**
 * Creates the set of ended connections, capped at `max` (default {@link MAX_ENDED_CONNECTIONS}),
 * oldest forgotten first (counted: a late report of that one could recreate its group), each
 * forgotten after {@link ENDED_CONNECTION_MEMORY_MS} (not counted: nothing late is left to refuse).
 */
export function createEndedConnections(options: { drops: DropCounter; max?: number; now?: () => number }): EndedConnections {
  const ended = createBoundedMap<string, true>({
    maxSize: options.max ?? MAX_ENDED_CONNECTIONS,
    maxAgeMs: ENDED_CONNECTION_MEMORY_MS,
    now: options.now,
    onEvict: (_key, _value, reason) => {
      if (reason === 'size') options.drops.count('ended-connections-evicted-size');
    },
  });
  const keyOf = ({ tabId, frameId, pcId }: ConnectionAddress) => `${tabId}:${frameId}:${pcId}`;
  return {
    remember: (connection) => {
      ended.sweep();
      ended.set(keyOf(connection), true);
    },
    isEnded: (connection) => {
      ended.sweep();
      return ended.has(keyOf(connection));
    },
    size: () => {
      ended.sweep();
      return ended.size;
    },
    cap: () => ended.cap(),
  };
}
