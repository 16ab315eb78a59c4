import { defineExtensionStorage, type ExtensionStorage } from '@webext-core/storage';
import { browser } from 'wxt/browser';

/**
 * The one module that touches `browser.storage`. Every read, write, removal and change
 * subscription goes through `@webext-core/storage` (`defineExtensionStorage`, one instance per
 * area); the storage circuit breaker and the fallback tiers (guarded-area, resilient-area) sit
 * on top of what this returns, and the settings store reads admin policy through `managed()`.
 */

/** Names of the `browser.storage` areas the extension writes, plus the in-memory last resort. */
export type StorageTierName = 'session' | 'local' | 'sync' | 'memory';
export type WritableAreaName = Exclude<StorageTierName, 'memory'>;
export type BrowserAreaName = WritableAreaName | 'managed';

/** What `@webext-core/storage` calls on one browser area (promise style, as in MV3 and Firefox). */
export interface BrowserAreaLike {
  get(keys?: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
  clear?(): Promise<void>;
  /** The area's own change event (Chrome 73+, Firefox 79+); the library subscribes to it. */
  onChanged?: {
    addListener(listener: (changes: Record<string, { oldValue?: unknown; newValue?: unknown }>) => void): void;
    removeListener(listener: (changes: Record<string, { oldValue?: unknown; newValue?: unknown }>) => void): void;
  };
  QUOTA_BYTES_PER_ITEM?: number;
}

/** `browser.storage` as far as this module uses it; every area may be missing on some browsers. */
export type BrowserStorageLike = Partial<Record<BrowserAreaName, BrowserAreaLike>>;

/** Read access to one area. Values are `unknown`: callers validate them (zod) where they read them. */
export interface ReadableArea {
  readonly name: BrowserAreaName;
  /** The stored value, or undefined when the key is missing. */
  get(key: string): Promise<unknown>;
  /** Several keys; missing keys are absent from the result. */
  getMany(keys: readonly string[]): Promise<Record<string, unknown>>;
  /**
   * Calls `listener` with the key whenever one of `keys` changes in this area (in any context).
   * Returns the unsubscribe function; a browser without the area's change event gives a no-op.
   */
  onChange(keys: readonly string[], listener: (key: string) => void): () => void;
}

/** Read and write access to one area (session, local or sync). */
export interface WritableArea extends ReadableArea {
  readonly name: WritableAreaName;
  /**
   * Writes the items one key at a time, in the order given (the library writes one key per
   * call), so write a value before the key that says it is current (e.g. its save time).
   * Undefined values are skipped.
   */
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | readonly string[]): Promise<void>;
  /** The area's per-item quota in bytes (sync only), when the browser says. */
  readonly quotaBytesPerItem: number | undefined;
}

/** Typed access to the browser's storage areas; an area this browser lacks is undefined. */
export interface StorageAdapter {
  area(name: WritableAreaName): WritableArea | undefined;
  /** Admin policy (`storage.managed`): read-only. */
  managed(): ReadableArea | undefined;
}

/**
 * Stored values are typed `unknown` on purpose: keys move between areas with the fallback tiers,
 * and what a previous version (or a corrupt write) left must be validated, not trusted by type.
 */
type AreaSchema = Record<string, unknown>;

/**
 * Creates the adapter over `storage` (default `browser.storage`; tests pass fakeBrowser's
 * areas, wrapped with injected faults). An area that is missing or unusable (no `get`, or a
 * writable area without `set`) is reported as undefined, so callers fall back to another tier.
 */
export function createStorageAdapter(storage: BrowserStorageLike = browserStorage()): StorageAdapter {
  const areas = new Map<BrowserAreaName, WritableArea | undefined>();

  function build(name: BrowserAreaName): WritableArea | undefined {
    let raw: BrowserAreaLike | undefined;
    try {
      raw = storage[name];
    } catch {
      return undefined;
    }
    if (!raw || typeof raw.get !== 'function') return undefined;
    // The managed area is read-only: it may have no set() at all.
    if (name !== 'managed' && typeof raw.set !== 'function') return undefined;
    return wrapArea(name as WritableAreaName, raw);
  }

  function cached(name: BrowserAreaName): WritableArea | undefined {
    if (!areas.has(name)) areas.set(name, build(name));
    return areas.get(name);
  }

  return {
    area: (name) => cached(name),
    managed() {
      const area = cached('managed');
      if (!area) return undefined;
      // Only the reading half leaves this module: policy is never written by the extension.
      const { get, getMany, onChange } = area;
      return { name: 'managed', get, getMany, onChange };
    },
  };
}

function wrapArea(name: WritableAreaName, raw: BrowserAreaLike): WritableArea {
  // The library's types come from webextension-polyfill's StorageArea, which this project does
  // not install; the shape it calls (get/set/remove/clear/onChanged) is BrowserAreaLike.
  const typed: ExtensionStorage<AreaSchema> = defineExtensionStorage<AreaSchema>(
    raw as unknown as Parameters<typeof defineExtensionStorage>[0],
  );
  // One library subscription per key, fanned out here: the library's unsubscribe detaches from
  // `browser.storage.onChanged` instead of the area's own event, so subscribing and
  // unsubscribing repeatedly would stack handlers on the area. Keys are a fixed, small set.
  const listeners = new Map<string, Set<(key: string) => void>>();

  async function get(key: string): Promise<unknown> {
    // The library answers null for a missing key; nothing here stores null on purpose.
    return (await typed.getItem(key)) ?? undefined;
  }

  return {
    name,
    get,
    async getMany(keys) {
      const values = await Promise.all(keys.map((key) => get(key)));
      const present: Record<string, unknown> = {};
      keys.forEach((key, index) => {
        if (values[index] !== undefined) present[key] = values[index];
      });
      return present;
    },
    async set(items) {
      for (const [key, value] of Object.entries(items)) {
        if (value !== undefined) await typed.setItem(key, value);
      }
    },
    async remove(keys) {
      const list = typeof keys === 'string' ? [keys] : [...keys];
      await Promise.all(list.map((key) => typed.removeItem(key)));
    },
    onChange(keys, listener) {
      const subscribed: string[] = [];
      for (const key of keys) {
        let set = listeners.get(key);
        if (!set) {
          try {
            typed.onChange(key, () => {
              for (const callback of listeners.get(key) ?? []) {
                try {
                  callback(key);
                } catch {
                  // One listener's bug must not stop the others.
                }
              }
            });
          } catch {
            // No change event on this area in this browser: nothing to subscribe to.
            continue;
          }
          set = new Set();
          listeners.set(key, set);
        }
        set.add(listener);
        subscribed.push(key);
      }
      return () => {
        for (const key of subscribed) listeners.get(key)?.delete(listener);
      };
    },
    quotaBytesPerItem: readQuota(raw),
  };
}

function readQuota(raw: BrowserAreaLike): number | undefined {
  try {
    return typeof raw.QUOTA_BYTES_PER_ITEM === 'number' ? raw.QUOTA_BYTES_PER_ITEM : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The browser's storage, or an empty object when it is not reachable (no `storage`
 * permission, or a context where `browser.storage` throws): callers then fall back to memory.
 */
function browserStorage(): BrowserStorageLike {
  try {
    return (browser.storage as unknown as BrowserStorageLike | undefined) ?? {};
  } catch {
    return {};
  }
}

/**
 * Bytes Chrome counts for one item against QUOTA_BYTES_PER_ITEM: the key plus the JSON of the
 * value, in UTF-8. Computed here because `getBytesInUse` is missing in Firefox's sync area.
 */
export function itemBytes(key: string, value: unknown): number {
  const json = JSON.stringify(value) ?? '';
  return new TextEncoder().encode(key + json).length;
}
