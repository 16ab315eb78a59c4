import {
  createStorageCircuitBreaker,
  type StorageCircuitBreaker,
  type StorageCircuitBreakerOptions,
} from '../resilience/storage-circuit-breaker';
import type { StorageAreaLike, StorageTierName } from './browser-storage';
import type { TieredArea } from './tiered-area';

/** A browser storage area whose every call goes through its own storage circuit breaker. */
export interface GuardedArea extends TieredArea {
  readonly breaker: StorageCircuitBreaker;
}

/**
 * Wraps one `browser.storage` area (session, local or sync) with a storage circuit breaker:
 * timeouts, retries of transient errors, and fast failure while the area is known broken.
 * Rejects with a `StorageError`.
 */
export function createGuardedArea(
  name: Exclude<StorageTierName, 'memory'>,
  area: StorageAreaLike,
  breakerOptions: StorageCircuitBreakerOptions = {},
): GuardedArea {
  const breaker = createStorageCircuitBreaker({ name, ...breakerOptions });
  return {
    name,
    breaker,
    async get(key) {
      const result = await breaker.execute(() => area.get(key));
      return result?.[key];
    },
    async getMany(keys) {
      const result = await breaker.execute(() => area.get(keys));
      const present: Record<string, unknown> = {};
      for (const key of keys) if (result?.[key] !== undefined) present[key] = result[key];
      return present;
    },
    async set(items) {
      await breaker.execute(() => area.set(items));
    },
    async remove(keys) {
      await breaker.execute(() => area.remove(keys));
    },
  };
}
