import type { DropCounter } from './drop-counter';

/** A cap given as a number or read live (e.g. from `settings.reliability`), so option changes apply at once. */
export type Limit = number | (() => number);

/** Why an entry left a bounded collection without being asked to. */
export type EvictionReason = 'size' | 'age';

export interface BoundedMapOptions<K, V> {
  /** Most entries; the least recently used one is evicted past it. */
  maxSize: Limit;
  /** Entries not used (read or written) for this long are evicted by {@link BoundedMap.sweep}. Default: no age limit. */
  maxAgeMs?: Limit;
  now?: () => number;
  onEvict?: (key: K, value: V, reason: EvictionReason) => void;
  /** When given, every eviction is counted as `${dropReason}-${reason}` (e.g. `tracker-evicted-size`). */
  drops?: DropCounter;
  dropReason?: string;
}

/** A Map with a size cap (LRU) and an optional idle age limit. */
export interface BoundedMap<K, V> {
  /** Reads and marks as recently used. */
  get(key: K): V | undefined;
  /** Reads without changing the LRU order or age. */
  peek(key: K): V | undefined;
  has(key: K): boolean;
  /** Writes, marks as recently used and evicts the least recently used entries past the cap. */
  set(key: K, value: V): void;
  delete(key: K): boolean;
  clear(): void;
  readonly size: number;
  /** Entries from least to most recently used. */
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  /** Evicts entries past their age and past the (possibly lowered) size cap; returns how many. */
  sweep(): number;
  cap(): number;
  /** Evictions so far, by reason. */
  evictions(): Record<EvictionReason, number>;
}

function read(limit: Limit): number {
  return typeof limit === 'function' ? limit() : limit;
}

/**
 * Creates a bounded map. Age counts from the last use, so the map's insertion order is both the
 * LRU order and the age order: a sweep stops at the first entry that is young enough.
 */
export function createBoundedMap<K, V>(options: BoundedMapOptions<K, V>): BoundedMap<K, V> {
  const now = options.now ?? Date.now;
  const items = new Map<K, { value: V; usedAt: number }>();
  const evicted: Record<EvictionReason, number> = { size: 0, age: 0 };

  function evict(key: K, value: V, reason: EvictionReason): void {
    items.delete(key);
    evicted[reason]++;
    if (options.drops && options.dropReason) options.drops.count(`${options.dropReason}-${reason}`);
    options.onEvict?.(key, value, reason);
  }

  function enforceSize(): number {
    const cap = Math.max(0, read(options.maxSize));
    let count = 0;
    while (items.size > cap) {
      const oldest = items.entries().next();
      if (oldest.done) break;
      evict(oldest.value[0], oldest.value[1].value, 'size');
      count++;
    }
    return count;
  }

  function touch(key: K, item: { value: V; usedAt: number }): void {
    items.delete(key);
    item.usedAt = now();
    items.set(key, item);
  }

  return {
    get(key) {
      const item = items.get(key);
      if (!item) return undefined;
      touch(key, item);
      return item.value;
    },
    peek(key) {
      return items.get(key)?.value;
    },
    has(key) {
      return items.has(key);
    },
    set(key, value) {
      touch(key, { value, usedAt: 0 });
      enforceSize();
    },
    delete(key) {
      return items.delete(key);
    },
    clear() {
      items.clear();
    },
    get size() {
      return items.size;
    },
    // Iterates a copy, so evicting or deleting while iterating is safe.
    *entries(): IterableIterator<[K, V]> {
      for (const [key, item] of [...items]) yield [key, item.value];
    },
    keys() {
      return [...items.keys()].values();
    },
    sweep() {
      let count = 0;
      if (options.maxAgeMs !== undefined) {
        const oldestAllowed = now() - read(options.maxAgeMs);
        for (const [key, item] of [...items]) {
          if (item.usedAt >= oldestAllowed) break;
          evict(key, item.value, 'age');
          count++;
        }
      }
      return count + enforceSize();
    },
    cap() {
      return read(options.maxSize);
    },
    evictions() {
      return { ...evicted };
    },
  };
}

/** What the resource manager needs to know about a collection it does not own (outbox, tracker, queue). */
export interface ResourceProbe {
  size(): number;
  cap(): number;
  /** Entries evicted or dropped so far because of the cap. Default 0. */
  evicted?(): number;
}

export interface ResourceSnapshotEntry {
  size: number;
  cap: number;
  evicted: number;
}

export interface ResourceManager {
  /** Creates a bounded map and registers it under `name`; its evictions are counted as `${name}-evicted-${reason}`. */
  boundedMap<K, V>(name: string, options: Omit<BoundedMapOptions<K, V>, 'drops' | 'dropReason'>): BoundedMap<K, V>;
  /** Registers a collection that enforces its own cap, so it shows in the snapshot. Returns an unregister function. */
  register(name: string, probe: ResourceProbe): () => void;
  /** Sweeps every bounded map this manager created (ages and lowered caps); returns evictions per map. */
  sweep(): Record<string, number>;
  /** Sizes, caps and evictions of every registered collection, for health and self-metrics. */
  snapshot(): Record<string, ResourceSnapshotEntry>;
}

/** Most collections one manager tracks: the names come from code, this only guards against a loop registering. */
const MAX_RESOURCES = 64;

/**
 * Creates the resource manager of the seed plan (3.5): the one place that knows every bounded
 * collection of the background, their live caps and how much they evicted.
 */
export function createResourceManager(options: { drops: DropCounter; now?: () => number }): ResourceManager {
  const probes = new Map<string, ResourceProbe>();
  const maps = new Map<string, BoundedMap<unknown, unknown>>();

  function register(name: string, probe: ResourceProbe): () => void {
    if (!probes.has(name) && probes.size >= MAX_RESOURCES) {
      throw new Error(`resource manager: more than ${MAX_RESOURCES} collections registered (at ${name})`);
    }
    probes.set(name, probe);
    return () => {
      if (probes.get(name) === probe) {
        probes.delete(name);
        maps.delete(name);
      }
    };
  }

  return {
    boundedMap<K, V>(name: string, mapOptions: Omit<BoundedMapOptions<K, V>, 'drops' | 'dropReason'>) {
      const map = createBoundedMap<K, V>({
        now: options.now,
        ...mapOptions,
        drops: options.drops,
        dropReason: `${name}-evicted`,
      });
      register(name, {
        size: () => map.size,
        cap: () => map.cap(),
        evicted: () => {
          const { size, age } = map.evictions();
          return size + age;
        },
      });
      maps.set(name, map as BoundedMap<unknown, unknown>);
      return map;
    },
    register,
    sweep() {
      const result: Record<string, number> = {};
      for (const [name, map] of maps) result[name] = map.sweep();
      return result;
    },
    snapshot() {
      const result: Record<string, ResourceSnapshotEntry> = {};
      for (const [name, probe] of probes) {
        result[name] = { size: probe.size(), cap: probe.cap(), evicted: probe.evicted?.() ?? 0 };
      }
      return result;
    },
  };
}
