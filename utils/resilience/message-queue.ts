import type { DropCounter } from './drop-counter';
import type { Limit } from './resource-manager';

export interface MessageQueueOptions<T> {
  /** Most items waiting (not counting those being processed); past it the oldest waiting item is dropped. */
  maxSize: Limit;
  /** Most items processed at once. */
  concurrency: Limit;
  /** Items with the same key supersede each other while waiting, and are never processed concurrently. */
  keyOf(item: T): string;
  process(item: T): Promise<void> | void;
  drops: DropCounter;
  /** Combines a waiting item with a newer one of the same key. Default: the newer one wins. */
  merge?(waiting: T, incoming: T): T;
  onError?(error: unknown, item: T): void;
}

export type EnqueueStatus = 'queued' | 'coalesced' | 'rejected';

export interface MessageQueueStats {
  waiting: number;
  inFlight: number;
  processed: number;
  failed: number;
  /** Items superseded by a newer item of the same key: replaced, not lost. */
  coalesced: number;
  /** Items dropped because the queue was full (also counted as drops, `queue-overflow`). */
  overflowed: number;
}

export interface MessageQueue<T> {
  enqueue(item: T): EnqueueStatus;
  /** Resolves once nothing waits and nothing is being processed. */
  idle(): Promise<void>;
  size(): number;
  cap(): number;
  stats(): MessageQueueStats;
  /** Drops what waits (counted as `queue-disposed`) and refuses new items; items in flight finish. */
  dispose(): void;
}

/**
 * Creates the message queue of the seed plan (3.7): a bounded FIFO between the message
 * handler and the report processing, so a burst of reports cannot block the worker or grow
 * memory. A newer report of a connection replaces its waiting older one in place (it keeps
 * its turn), since only the latest snapshot of a connection matters. True overflow drops the
 * oldest waiting item: fresher data is worth more, and the dropped connection reports again.
 */
export function createMessageQueue<T>(options: MessageQueueOptions<T>): MessageQueue<T> {
  // Map insertion order is FIFO order, and `set` on an existing key keeps its position.
  const waiting = new Map<string, T>();
  const inFlight = new Set<string>();
  const idleWaiters: Array<() => void> = [];
  const counts = { processed: 0, failed: 0, coalesced: 0, overflowed: 0 };
  let scheduled = false;
  let disposed = false;

  const read = (limit: Limit) => (typeof limit === 'function' ? limit() : limit);
  const maxSize = () => Math.max(1, read(options.maxSize));
  const concurrency = () => Math.max(1, read(options.concurrency));

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // Process outside the caller's stack, so enqueueing stays cheap and a burst of one tick coalesces first.
    queueMicrotask(() => {
      scheduled = false;
      pump();
    });
  }

  function nextEligible(): [string, T] | undefined {
    for (const entry of waiting) if (!inFlight.has(entry[0])) return entry;
    return undefined;
  }

  function pump(): void {
    while (inFlight.size < concurrency()) {
      const next = nextEligible();
      if (!next) break;
      const [key, item] = next;
      waiting.delete(key);
      inFlight.add(key);
      void run(key, item);
    }
    notifyIfIdle();
  }

  async function run(key: string, item: T): Promise<void> {
    try {
      await options.process(item);
      counts.processed++;
    } catch (error) {
      counts.failed++;
      options.drops.count('queue-process-failed');
      try {
        options.onError?.(error, item);
      } catch {
        // An error reporter that throws must not stop the queue.
      }
    } finally {
      inFlight.delete(key);
      pump();
    }
  }

  function notifyIfIdle(): void {
    if (waiting.size > 0 || inFlight.size > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  return {
    enqueue(item) {
      if (disposed) {
        options.drops.count('queue-closed');
        return 'rejected';
      }
      const key = options.keyOf(item);
      const older = waiting.get(key);
      if (older !== undefined) {
        waiting.set(key, options.merge ? options.merge(older, item) : item);
        counts.coalesced++;
        return 'coalesced';
      }
      waiting.set(key, item);
      const cap = maxSize();
      while (waiting.size > cap) {
        const oldest = waiting.keys().next();
        if (oldest.done) break;
        waiting.delete(oldest.value);
        counts.overflowed++;
        options.drops.count('queue-overflow');
      }
      schedule();
      return 'queued';
    },
    idle() {
      if (waiting.size === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    size() {
      return waiting.size;
    },
    cap() {
      return maxSize();
    },
    stats() {
      return { waiting: waiting.size, inFlight: inFlight.size, ...counts };
    },
    dispose() {
      disposed = true;
      if (waiting.size > 0) options.drops.count('queue-disposed', waiting.size);
      waiting.clear();
      notifyIfIdle();
    },
  };
}
