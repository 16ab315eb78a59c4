import type { DropCounter } from './drop-counter';
import { createBoundedMap, type Limit } from './resource-manager';

export interface RateLimiterOptions {
  /** Tokens added per second per key (e.g. `maxReportsPerTabPerSecond`). */
  ratePerSecond: Limit;
  /** Most tokens a key can save up, i.e. the largest burst. Default: one second's worth. */
  burst?: Limit;
  /** Most keys remembered; the least recently seen is forgotten past it. Default 1,000. */
  maxKeys?: Limit;
  drops: DropCounter;
  /** Drop reason for refused calls. Default `rate-limited`. */
  dropReason?: string;
  now?: () => number;
}

export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1, at most a full burst) of `key`'s bucket; false (and counted
   * once as a drop) when it holds fewer.
   */
  allow(key: string, now?: number, cost?: number): boolean;
  /** Forgets a key, e.g. when its tab closes. */
  forget(key: string): void;
  keyCount(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const read = (limit: Limit) => (typeof limit === 'function' ? limit() : limit);

/**
 * Creates a per-key token-bucket rate limiter. A forgotten key starts again with a full
 * bucket, so the key cap must be above the number of live keys (tabs), which it is by far.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const clock = options.now ?? Date.now;
  const reason = options.dropReason ?? 'rate-limited';
  const buckets = createBoundedMap<string, Bucket>({ maxSize: options.maxKeys ?? 1_000 });

  return {
    allow(key, now = clock(), cost = 1) {
      const rate = Math.max(0, read(options.ratePerSecond));
      const burst = Math.max(1, read(options.burst ?? options.ratePerSecond));
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      // A clock that steps back must not mint tokens.
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(burst, bucket.tokens + (elapsed / 1_000) * rate);
      bucket.at = Math.max(bucket.at, now);
      buckets.set(key, bucket);
      // A cost above the burst could never be paid: it takes a full bucket instead.
      const need = Math.min(Math.max(1, cost), burst);
      if (bucket.tokens >= need) {
        bucket.tokens -= need;
        return true;
      }
      options.drops.count(reason);
      return false;
    },
    forget(key) {
      buckets.delete(key);
    },
    keyCount() {
      return buckets.size;
    },
  };
}
