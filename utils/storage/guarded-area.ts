import {
  createStorageCircuitBreaker,
  type StorageCircuitBreaker,
  type StorageCircuitBreakerOptions,
} from '../resilience/storage-circuit-breaker';
import type { WritableArea } from './extension-storage';
import type { TieredArea } from './tiered-area';

/** A storage area of the adapter whose every call goes through its own storage circuit breaker. */
export interface GuardedArea extends TieredArea {
  readonly breaker: StorageCircuitBreaker;
}

/**
 * Wraps one storage area (session, local or sync, from the storage adapter) with a storage
 * circuit breaker: timeouts, retries of transient errors, and fast failure while the area is
 * known broken. Rejects with a `StorageError`.
 */
export function createGuardedArea(area: WritableArea, breakerOptions: StorageCircuitBreakerOptions = {}): GuardedArea {
  const breaker = createStorageCircuitBreaker({ name: area.name, ...breakerOptions });
  return {
    name: area.name,
    breaker,
    get(key) {
      return breaker.execute(() => area.get(key));
    },
    getMany(keys) {
      return breaker.execute(() => area.getMany(keys));
    },
    async set(items) {
      await breaker.execute(() => area.set(items));
    },
    async remove(keys) {
      await breaker.execute(() => area.remove(keys));
    },
  };
}
