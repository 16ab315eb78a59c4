import { browser } from 'wxt/browser';

/** Names of the `browser.storage` areas the extension uses, plus the in-memory last resort. */
export type StorageTierName = 'session' | 'local' | 'sync' | 'memory';
export type BrowserAreaName = Exclude<StorageTierName, 'memory'> | 'managed';

/** The part of a `browser.storage.*` area this code calls (promise style, as in MV3 and Firefox). */
export interface StorageAreaLike {
  get(keys?: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
  QUOTA_BYTES_PER_ITEM?: number;
  QUOTA_BYTES?: number;
}

export interface StorageChange {
  oldValue?: unknown;
  newValue?: unknown;
}
export type StorageChangeListener = (changes: Record<string, StorageChange>, areaName: string) => void;

/** The part of `browser.storage` this code uses; every member may be missing on some browsers. */
export interface StorageLike {
  local?: StorageAreaLike;
  sync?: StorageAreaLike;
  session?: StorageAreaLike;
  managed?: StorageAreaLike;
  onChanged?: {
    addListener(listener: StorageChangeListener): void;
    removeListener(listener: StorageChangeListener): void;
  };
}

/**
 * The browser's storage, or an empty object when it is not reachable (no `storage`
 * permission, or a context where `browser.storage` throws): callers then fall back to memory.
 */
export function getBrowserStorage(): StorageLike {
  try {
    return (browser.storage as unknown as StorageLike | undefined) ?? {};
  } catch {
    return {};
  }
}

/** One area of `storage`, or undefined when this browser does not have it (e.g. session before Firefox 115). */
export function getArea(storage: StorageLike, name: BrowserAreaName): StorageAreaLike | undefined {
  try {
    const area = storage[name];
    if (!area || typeof area.get !== 'function') return undefined;
    // The managed area is read-only: it may have no set() at all.
    return name === 'managed' || typeof area.set === 'function' ? area : undefined;
  } catch {
    return undefined;
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
