import type { DropCounter } from './drop-counter';
import type { Limit } from './resource-manager';

export interface MessageQueueOptions<T> {
  /** Most items waiting (not counting those being processed); past it the oldest waiting item is dropped. */
  maxSize: Limit;
  /** Most items processed at once. */
  concurrency: Limit;
  /** Items with the same key are processed in arrival order, never concurrently. */
  keyOf(item: T): string;
  /**
   * Who an item belongs to for fairness (e.g. its tab): past the cap, the oldest item of the
   * owner with the most items waiting is dropped, so one flooding tab cannot push out the others.
   * Default: the oldest waiting item is dropped.
   */
  ownerOf?(item: T): string;
  process(item: T): Promise<void> | void;
  drops: DropCounter;
  onError?(error: unknown, item: T): void;
}

export type EnqueueStatus = 'queued' | 'rejected';

export interface MessageQueueStats {
  waiting: number;
  inFlight: number;
  processed: number;
  failed: number;
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

interface Waiting<T> {
  key: string;
  item: T;
}

/**
 * Creates the message queue of the seed plan (3.7): a bounded FIFO between the message
 * handler and the report processing, so a burst of reports cannot block the worker or grow
 * memory. It does not coalesce: every report feeds its connection's quality window (nothing
 * between the page and the quality window coalesces; the outbox keeps only the newest push of
 * each group, issue 9 item 7). Items of one key keep their order
 * and never run concurrently. Overflow drops the oldest waiting item of the busiest owner
 * (fresher data is worth more, and a quiet tab keeps its place).
 */
export function createMessageQueue<T>(options: MessageQueueOptions<T>): MessageQueue<T> {
  const waiting: Array<Waiting<T>> = [];
  const inFlight = new Set<string>();
  const idleWaiters: Array<() => void> = [];
  const counts = { processed: 0, failed: 0, overflowed: 0 };
  let scheduled = false;
  let disposed = false;

  const read = (limit: Limit) => (typeof limit === 'function' ? limit() : limit);
  const maxSize = () => Math.max(1, read(options.maxSize));
  const concurrency = () => Math.max(1, read(options.concurrency));

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // Process outside the caller's stack, so enqueueing a whole batch stays cheap and one pump takes it.
    queueMicrotask(() => {
      scheduled = false;
      pump();
    });
  }

  /** The first waiting item whose key is not in flight (and no earlier item of its key waits). */
  function takeEligible(): Waiting<T> | undefined {
    const blocked = new Set(inFlight);
    for (let index = 0; index < waiting.length; index++) {
      const entry = waiting[index]!;
      if (!blocked.has(entry.key)) {
        waiting.splice(index, 1);
        return entry;
      }
      blocked.add(entry.key);
    }
    return undefined;
  }

  function pump(): void {
    while (inFlight.size < concurrency()) {
      const next = takeEligible();
      if (!next) break;
      inFlight.add(next.key);
      void run(next.key, next.item);
    }
    notifyIfIdle();
  }

  /** Index of the item to drop on overflow: the oldest of the owner with the most waiting. */
  function overflowVictim(): number {
    if (!options.ownerOf) return 0;
    const perOwner = new Map<string, { count: number; first: number }>();
    waiting.forEach((entry, index) => {
      const owner = options.ownerOf!(entry.item);
      const seen = perOwner.get(owner);
      if (seen) seen.count++;
      else perOwner.set(owner, { count: 1, first: index });
    });
    let victim = { count: 0, first: 0 };
    for (const candidate of perOwner.values()) if (candidate.count > victim.count) victim = candidate;
    return victim.first;
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
    if (waiting.length > 0 || inFlight.size > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  return {
    enqueue(item) {
      if (disposed) {
        options.drops.count('queue-closed');
        return 'rejected';
      }
      waiting.push({ key: options.keyOf(item), item });
      const cap = maxSize();
      while (waiting.length > cap) {
        waiting.splice(overflowVictim(), 1);
        counts.overflowed++;
        options.drops.count('queue-overflow');
      }
      schedule();
      return 'queued';
    },
    idle() {
      if (waiting.length === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    size() {
      return waiting.length;
    },
    cap() {
      return maxSize();
    },
    stats() {
      return { waiting: waiting.length, inFlight: inFlight.size, ...counts };
    },
    dispose() {
      disposed = true;
      if (waiting.length > 0) options.drops.count('queue-disposed', waiting.length);
      waiting.length = 0;
      notifyIfIdle();
    },
  };
}
