import type { BreakerStateName } from '../messaging/health';
import {
  StorageError,
  describeError,
  toStorageError,
  type StorageCircuitBreakerOptions,
} from '../resilience/storage-circuit-breaker';
import {
  createStorageAdapter,
  type StorageAdapter,
  type StorageTierName,
  type WritableAreaName,
} from './extension-storage';
import { createGuardedArea, type GuardedArea } from './guarded-area';
import type { KeyValueArea } from './key-value-area';
import { createMemoryArea, type MemoryAreaOptions } from './memory-area';
import type { TieredArea } from './tiered-area';

export interface ResilientAreaHealth {
  /** The tier reads and writes go to now. */
  tier: StorageTierName;
  /** The tier this area prefers (the first one this browser has). */
  preferredTier: StorageTierName;
  /** Breaker of the preferred tier: open means the preferred tier is known broken. */
  breaker: BreakerStateName;
  /** Storage operations that failed after their retries, over all tiers. */
  failures: number;
  lastError: string | null;
  /** How often the area moved down a tier, and back up. */
  demotions: number;
  promotions: number;
}

/** A key-value area over several storage tiers; it reports which one is active. */
export interface ResilientArea extends KeyValueArea {
  getMany(keys: string[]): Promise<Record<string, unknown>>;
  tier(): StorageTierName;
  health(): ResilientAreaHealth;
  /** Called with the new tier whenever the area moves down or back up. */
  onTierChange(listener: (tier: StorageTierName) => void): () => void;
}

export interface ResilientAreaOptions {
  /** Tiers in order of preference; memory is always added as the last one. */
  tiers: WritableAreaName[];
  /** Defaults to the adapter over the browser's storage; tests pass one over fault-injecting areas. */
  storage?: StorageAdapter;
  breaker?: StorageCircuitBreakerOptions;
  memory?: MemoryAreaOptions;
  /** After moving down, how long before trying the tier above again, in ms. Default 30,000. */
  promoteAfterMs?: number;
  /** The retry delay for moving up doubles after each failed try, up to this, in ms. Default 300,000. */
  promoteMaxDelayMs?: number;
  /**
   * Most distinct keys changed while demoted that are copied up on recovery. Past it the area
   * stays on the lower tier rather than copy up an incomplete state. Default 1,000.
   */
  maxDirtyKeys?: number;
  now?: () => number;
}

/**
 * Creates a key-value area that falls back through storage tiers (e.g. session -> local ->
 * memory). Each browser tier has its own storage circuit breaker. An operation that fails on
 * the active tier (after retries, or at once for quota and context errors) is redone on the
 * next tier, which becomes the active one. Keys written while on a lower tier are remembered
 * and copied up, in one set() call, when the tier above works again, so data written during
 * an outage is not shadowed by older data. Values that cannot be stored at all
 * (`invalid-data`) are rejected to the caller, not moved down.
 */
export function createResilientArea(options: ResilientAreaOptions): ResilientArea {
  const storage = options.storage ?? createStorageAdapter();
  const now = options.now ?? Date.now;
  const promoteAfterMs = options.promoteAfterMs ?? 30_000;
  const promoteMaxDelayMs = options.promoteMaxDelayMs ?? 300_000;
  const maxDirtyKeys = options.maxDirtyKeys ?? 1_000;

  const tiers: TieredArea[] = [];
  const guarded: GuardedArea[] = [];
  for (const name of options.tiers) {
    const area = storage.area(name);
    if (!area) continue;
    const tier = createGuardedArea(area, options.breaker);
    tiers.push(tier);
    guarded.push(tier);
  }
  tiers.push(createMemoryArea(options.memory));

  let active = 0;
  const memoryTier = tiers[tiers.length - 1] as TieredArea;
  // Indexes stay within 0..tiers.length-1; the memory tier is the answer past the end.
  const tierAt = (index: number): TieredArea => tiers[index] ?? memoryTier;
  let demotions = 0;
  let promotions = 0;
  let memoryFailures = 0;
  let lastError: string | null = null;
  let nextPromoteAt = Infinity;
  let promoteDelay = promoteAfterMs;
  // Keys changed while below tier 0; they are copied up on recovery. Overflow pins the tier.
  const dirty = new Set<string>();
  let dirtyOverflow = false;
  const listeners = new Set<(tier: StorageTierName) => void>();
  let queue: Promise<unknown> = Promise.resolve();

  function recordError(error: unknown): void {
    lastError = describeError(error);
  }

  function setActive(index: number): void {
    if (index === active) return;
    if (index > active) {
      demotions += 1;
      promoteDelay = promoteAfterMs;
      nextPromoteAt = now() + promoteDelay;
    } else {
      promotions += 1;
      nextPromoteAt = index > 0 ? now() + promoteAfterMs : Infinity;
    }
    active = index;
    if (active === 0) {
      dirty.clear();
      dirtyOverflow = false;
    }
    for (const listener of listeners) {
      try {
        listener(tierAt(active).name);
      } catch {
        // A listener's bug must not break storage.
      }
    }
  }

  function markDirty(keys: string[]): void {
    if (active === 0) return;
    for (const key of keys) {
      if (dirty.size >= maxDirtyKeys && !dirty.has(key)) {
        dirtyOverflow = true;
        return;
      }
      dirty.add(key);
    }
  }

  /** Runs `operation` on the active tier, moving down a tier on every failure but bad input. */
  async function onTiers<T>(operation: (tier: TieredArea) => Promise<T>): Promise<T> {
    for (;;) {
      const tier = tierAt(active);
      try {
        return await operation(tier);
      } catch (error) {
        const storageError = toStorageError(error, tier.name);
        if (tier.name === 'memory') memoryFailures += 1;
        recordError(storageError);
        if (storageError.kind === 'invalid-data' || active === tiers.length - 1) throw storageError;
        setActive(active + 1);
      }
    }
  }

  async function maybePromote(): Promise<void> {
    if (active === 0 || dirtyOverflow || now() < nextPromoteAt) return;
    const upper = tierAt(active - 1);
    const lower = tierAt(active);
    try {
      const keys = [...dirty];
      if (keys.length > 0) {
        const values = await lower.getMany(keys);
        const removed = keys.filter((key) => !(key in values));
        if (Object.keys(values).length > 0) await upper.set(values);
        if (removed.length > 0) await upper.remove(removed);
      } else {
        // Nothing to copy: a read proves the tier answers again.
        await upper.getMany([]);
      }
      setActive(active - 1);
    } catch (error) {
      recordError(error);
      promoteDelay = Math.min(promoteDelay * 2, promoteMaxDelayMs);
      nextPromoteAt = now() + promoteDelay;
    }
  }

  /**
   * Reads tiers above the active one for keys never written down here. A tier that cannot be
   * read makes the whole read fail: "could not read" must not pass for "not stored", or a
   * restart would quietly start from empty state while the data still sits above.
   */
  async function readThrough(keys: string[], found: Record<string, unknown>): Promise<void> {
    const missing = keys.filter((key) => !(key in found) && !dirty.has(key));
    for (let index = active - 1; index >= 0 && missing.length > 0; index -= 1) {
      const tier = tierAt(index);
      try {
        const values = await tier.getMany(missing);
        for (const [key, value] of Object.entries(values)) {
          found[key] = value;
          missing.splice(missing.indexOf(key), 1);
        }
      } catch (error) {
        recordError(error);
        const cause = toStorageError(error, tier.name);
        throw new StorageError(cause.kind === 'invalid-data' ? 'transient' : cause.kind, `${missing.join(', ')} not readable from ${tier.name}: ${cause.message}`, { cause });
      }
    }
  }

  // One operation at a time, so a later write is never overtaken by an earlier one that retries.
  function serialised<T>(run: () => Promise<T>): Promise<T> {
    const result = queue.then(async () => {
      await maybePromote();
      return run();
    });
    queue = result.catch(() => undefined);
    return result;
  }

  async function getMany(keys: string[]): Promise<Record<string, unknown>> {
    const found = await onTiers((tier) => tier.getMany(keys));
    if (active > 0) await readThrough(keys, found);
    return found;
  }

  return {
    get(key) {
      return serialised(async () => (await getMany([key]))[key]);
    },
    getMany(keys) {
      return serialised(() => getMany(keys));
    },
    set(items) {
      return serialised(async () => {
        await onTiers((tier) => tier.set(items));
        markDirty(Object.keys(items));
      });
    },
    remove(keys) {
      const list = Array.isArray(keys) ? keys : [keys];
      return serialised(async () => {
        await onTiers((tier) => tier.remove(list));
        markDirty(list);
      });
    },
    tier() {
      return tierAt(active).name;
    },
    health() {
      const preferred = guarded[0];
      const failures = guarded.reduce((sum, tier) => sum + tier.breaker.health().failures, 0) + memoryFailures;
      return {
        tier: tierAt(active).name,
        preferredTier: tierAt(0).name,
        breaker: preferred ? preferred.breaker.state() : 'closed',
        failures,
        lastError,
        demotions,
        promotions,
      };
    },
    onTierChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The area for working state that must survive a service-worker restart (outbox, connection
 * tracker, breaker state): `storage.session` (kept in memory by the browser, cleared when the
 * browser closes), else `storage.local` when session is missing (Chrome < 102, Firefox < 115)
 * or failing, else memory.
 */
export function createDurableArea(
  options: Omit<ResilientAreaOptions, 'tiers'> = {},
): ResilientArea {
  return createResilientArea({ ...options, tiers: ['session', 'local'] });
}

/** Re-exported so callers can tell a rejected value from a storage outage. */
export { StorageError };
