/**
 * Counts what was dropped, rejected or evicted, by reason, so that every drop is visible in
 * health and in the self-metrics. The number of distinct reasons is capped so a hostile input
 * cannot grow it.
 */
export interface DropCounter {
  count(reason: string, amount?: number): void;
  total(): number;
  snapshot(): Record<string, number>;
  restore(saved: Record<string, number>): void;
}

const MAX_REASONS = 64;
const OVERFLOW_REASON = 'other';

/** Creates an empty drop counter; `onCount` hears every count (e.g. to report drops elsewhere). */
export function createDropCounter(options: { onCount?: (reason: string) => void } = {}): DropCounter {
  const counts = new Map<string, number>();
  return {
    count(reason, amount = 1) {
      const key = counts.has(reason) || counts.size < MAX_REASONS - 1 ? reason : OVERFLOW_REASON;
      counts.set(key, (counts.get(key) ?? 0) + amount);
      options.onCount?.(key);
    },
    total() {
      let sum = 0;
      for (const value of counts.values()) sum += value;
      return sum;
    },
    snapshot() {
      return Object.fromEntries(counts);
    },
    restore(saved) {
      for (const [reason, value] of Object.entries(saved)) {
        if (Number.isFinite(value) && value > 0) this.count(reason, value);
      }
    },
  };
}
