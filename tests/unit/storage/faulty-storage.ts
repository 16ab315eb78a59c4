import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  createStorageAdapter,
  type BrowserAreaLike,
  type BrowserStorageLike,
  type StorageAdapter,
} from '../../../utils/storage/extension-storage';

// Kept importable from here: the fault tests take it with the faulty storage.
export { mulberry32 } from './seeded-random';

export type AreaName = 'session' | 'local' | 'sync' | 'managed';
export type Fault =
  | 'none'
  /** Every call throws a transient error. */
  | 'down'
  /** set() throws Chrome's quota error. */
  | 'quota'
  /** Every call throws "Extension context invalidated." */
  | 'invalidated'
  /** Every call never settles. */
  | 'hang';

export interface FaultyStorage {
  /** The storage adapter over the faulty areas: what the code under test is given. */
  storage: StorageAdapter;
  setFault(area: AreaName, fault: Fault): void;
  /** Failures thrown so far, by area. */
  injected: Record<AreaName, number>;
  totalInjected(): number;
  /** Calls made, by area and operation (`sync.set`). */
  calls: Record<string, number>;
}

export interface FaultyStorageOptions {
  /** Probability that any call fails with a transient error. Default 0. */
  transientRate?: number;
  random?: () => number;
  /** Areas the browser does not have (e.g. session in Firefox < 115). */
  missing?: AreaName[];
  /**
   * Emulates Chrome's sync quota, which fakeBrowser does not enforce: an item over this many
   * bytes (key + JSON) is rejected with QUOTA_BYTES_PER_ITEM. Default 8,192.
   */
  syncItemQuotaBytes?: number;
}

/**
 * Wraps fakeBrowser's storage areas with injected faults. fakeBrowser implements session,
 * managed, sync and onChanged, but enforces no quotas and never fails: this fills that gap.
 */
export function createFaultyStorage(options: FaultyStorageOptions = {}): FaultyStorage {
  const random = options.random ?? Math.random;
  const rate = options.transientRate ?? 0;
  const syncItemQuota = options.syncItemQuotaBytes ?? 8_192;
  const faults: Record<AreaName, Fault> = { session: 'none', local: 'none', sync: 'none', managed: 'none' };
  const injected: Record<AreaName, number> = { session: 0, local: 0, sync: 0, managed: 0 };
  const calls: Record<string, number> = {};
  const base = fakeBrowser.storage as unknown as Record<AreaName, BrowserAreaLike>;

  function gate(area: AreaName, op: 'get' | 'set' | 'remove', items?: Record<string, unknown>): void {
    calls[`${area}.${op}`] = (calls[`${area}.${op}`] ?? 0) + 1;
    const fault = faults[area];
    const fail = (message: string): never => {
      injected[area] += 1;
      throw new Error(message);
    };
    if (fault === 'down') fail(`storage.${area}.${op}: IO error (injected)`);
    if (fault === 'invalidated') fail('Extension context invalidated.');
    if (fault === 'quota' && op === 'set') fail('QUOTA_BYTES quota exceeded');
    if (area === 'sync' && op === 'set' && items) {
      for (const [key, value] of Object.entries(items)) {
        const bytes = new TextEncoder().encode(key + JSON.stringify(value)).length;
        if (bytes > syncItemQuota) fail('QUOTA_BYTES_PER_ITEM quota exceeded');
      }
    }
    if (rate > 0 && random() < rate) fail(`storage.${area}.${op}: transient failure (injected)`);
  }

  function wrap(area: AreaName): BrowserAreaLike {
    const inner = base[area];
    const hang = () => new Promise<never>(() => undefined);
    return {
      async get(keys) {
        if (faults[area] === 'hang') return hang();
        gate(area, 'get');
        return inner.get(keys);
      },
      async set(items) {
        if (faults[area] === 'hang') return hang();
        gate(area, 'set', items);
        return inner.set(items);
      },
      async remove(keys) {
        if (faults[area] === 'hang') return hang();
        gate(area, 'remove');
        return inner.remove(keys);
      },
      // Change events are not faulted: the browser delivers them whatever the area's calls do.
      onChanged: inner.onChanged,
      QUOTA_BYTES_PER_ITEM: area === 'sync' ? syncItemQuota : undefined,
    };
  }

  const areas: BrowserStorageLike = {};
  for (const area of ['session', 'local', 'sync', 'managed'] as const) {
    if (!options.missing?.includes(area)) areas[area] = wrap(area);
  }
  return {
    storage: createStorageAdapter(areas),
    setFault(area, fault) {
      faults[area] = fault;
    },
    injected,
    totalInjected: () => Object.values(injected).reduce((sum, value) => sum + value, 0),
    calls,
  };
}
