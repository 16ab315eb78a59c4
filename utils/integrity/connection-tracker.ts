import { z } from 'zod';
import type { KeyValueArea } from '../storage/key-value-area';
import type { DropCounter } from '../resilience/drop-counter';
import { connectionStateSchema, MAX_PC_ID_LENGTH } from '../webrtc/report-schema';

/** Storage key of the persisted tracker (one key, so a write is all or nothing). */
export const TRACKER_STORAGE_KEY = 'connectionTracker';
const TRACKER_LAYOUT_VERSION = 1;
/** Stored entries looked at on restore, whatever the settings say; the rest count as invalid. */
const RESTORE_HARD_CAP = 20_000;

/** Longest frame URL (origin + path) a tracked connection keeps; longer paths are cut. */
export const MAX_CAPTURE_URL_LENGTH = 2_048;

/** A group id goes into the Pushgateway URL path, so it is restricted to URL-safe characters. */
export const groupIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'a group id is made of letters, digits, - and _');

/** What a report tells the tracker about a connection; the tracker adds group id and times. */
export const connectionUpdateSchema = z.object({
  tabId: z.number().int().nonnegative(),
  frameId: z.number().int().nonnegative(),
  pcId: z.string().min(1).max(MAX_PC_ID_LENGTH),
  origin: z.string().max(300),
  /**
   * The frame's URL without query and fragment (origin + path), which capture decisions match
   * against: patterns with a path (`https://*.awsapps.com/connect/*`) need more than the origin.
   * Absent in entries saved by older versions; then the origin stands in.
   */
  url: z.string().max(MAX_CAPTURE_URL_LENGTH).optional(),
  platform: z.string().max(64),
  state: connectionStateSchema,
});
export type ConnectionUpdate = z.infer<typeof connectionUpdateSchema>;

/** One live peer connection as the background tracks it: an update plus group id and times. */
export const trackedConnectionSchema = z
  .object({
    groupId: groupIdSchema,
    ...connectionUpdateSchema.shape,
    startedAt: z.number().nonnegative(),
    lastReportAt: z.number().nonnegative(),
    /**
     * When it was first reported connected. A connected connection is a call: a new connection
     * (real or invented by the page) never evicts it. Absent in layouts saved before it existed.
     */
    connectedAt: z.number().nonnegative().optional(),
  })
  .refine((entry) => entry.lastReportAt >= entry.startedAt, {
    message: 'lastReportAt is before startedAt',
    path: ['lastReportAt'],
  });
export type TrackedConnection = z.infer<typeof trackedConnectionSchema>;

const storedTrackerSchema = z.object({
  version: z.literal(TRACKER_LAYOUT_VERSION),
  entries: z.array(z.unknown()),
});

/** A stored entry that failed validation on restore; its group id when it could be read, so its group can still be deleted. */
export interface InvalidTrackedEntry {
  groupId: string | null;
  reason: string;
}

export interface TrackerLimits {
  maxConnectionsPerTab: number;
  maxConnectionsTotal: number;
}

export interface ConnectionTrackerOptions {
  area: KeyValueArea;
  /** Read on every new connection, so option changes apply at once (e.g. from `settings.reliability`). */
  limits: () => TrackerLimits;
  drops: DropCounter;
  now?: () => number;
  newGroupId?: () => string;
  storageKey?: string;
  /** Delay before a new or removed connection is saved, in ms. Default 500. */
  persistDelayMs?: number;
  /** Delay before a mere report time or state change is saved, in ms. Default 10,000. */
  lazyPersistDelayMs?: number;
  onPersistError?: (error: unknown) => void;
}

export interface UpsertResult {
  entry: TrackedConnection;
  isNew: boolean;
  /** Connections evicted to make room: the caller deletes their Pushgateway groups. */
  evicted: TrackedConnection[];
}

/** Drop reasons of new connections refused because every entry that could make room is a connected call. */
export const TRACKER_REFUSED = { tabFull: 'tracker-refused-tab-full', totalFull: 'tracker-refused-total-full' } as const;

export interface RestoreResult {
  restored: number;
  invalid: InvalidTrackedEntry[];
}

export interface TrackerStats {
  size: number;
  tabs: number;
  evictedTabCap: number;
  evictedTotalCap: number;
  persistError: string | null;
}

export interface ConnectionTracker {
  /** Loads the saved connections, validating each; invalid ones are returned and kept for {@link takeInvalid}. */
  restore(): Promise<RestoreResult>;
  /**
   * Records a report of a connection, creating it (with a new group id) if needed and evicting
   * past the caps: the least recently updated connection that never connected goes first. A new
   * connection never evicts a connected one: when only connected ones are left it is refused
   * (null, counted as {@link TRACKER_REFUSED}), so reports a page invents cannot displace a call.
   */
  upsert(update: ConnectionUpdate): UpsertResult | null;
  get(tabId: number, frameId: number, pcId: string): TrackedConnection | undefined;
  end(tabId: number, frameId: number, pcId: string): TrackedConnection[];
  endFrame(tabId: number, frameId: number): TrackedConnection[];
  endTab(tabId: number): TrackedConnection[];
  /** Removes every connection matching `predicate` (used by the integrity checks). */
  removeWhere(predicate: (entry: TrackedConnection) => boolean): TrackedConnection[];
  /** Evicts past the current caps, e.g. after they were lowered or after a restore. */
  enforceLimits(): TrackedConnection[];
  /** Invalid entries found by the last restore, once: the integrity checker repairs them. */
  takeInvalid(): InvalidTrackedEntry[];
  list(): TrackedConnection[];
  forTab(tabId: number): TrackedConnection[];
  size(): number;
  countsByOrigin(): Record<string, number>;
  countForTab(tabId: number): number;
  /** Tabs that have at least one connection. */
  tabIds(): number[];
  tabCount(): number;
  stats(): TrackerStats;
  /** Saves pending changes now; false when the write failed (the changes stay pending). */
  flush(): Promise<boolean>;
  /** Cancels a pending save timer (call {@link flush} first to keep the changes). */
  dispose(): void;
}

/** 12 base-36 characters (about 62 bits) from the platform's CSPRNG. */
export function randomGroupId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (byte) => (byte % 36).toString(36)).join('');
}

function keyOf(tabId: number, frameId: number, pcId: string): string {
  return `${tabId}:${frameId}:${pcId}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`).join('; ');
}

function salvageGroupId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const parsed = groupIdSchema.safeParse((raw as { groupId?: unknown }).groupId);
  return parsed.success ? parsed.data : null;
}

/**
 * Creates the connection tracker: every live peer connection by tab, frame and hook id, with
 * the Pushgateway group id the background assigned to it. It is persisted (debounced) so a
 * group left behind by a worker restart or crash is still known and can be deleted. Derived
 * figures (counts per origin and tab) are computed from the entries, never stored.
 */
export function createConnectionTracker(options: ConnectionTrackerOptions): ConnectionTracker {
  const now = options.now ?? Date.now;
  const newGroupId = options.newGroupId ?? randomGroupId;
  const storageKey = options.storageKey ?? TRACKER_STORAGE_KEY;
  const persistDelayMs = options.persistDelayMs ?? 500;
  const lazyPersistDelayMs = options.lazyPersistDelayMs ?? 10_000;

  const entries = new Map<string, TrackedConnection>();
  const byTab = new Map<number, Set<string>>();
  let pendingInvalid: InvalidTrackedEntry[] = [];
  const evictions = { tabCap: 0, totalCap: 0 };

  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerDue = Infinity;
  let writing: Promise<unknown> = Promise.resolve();
  let persistError: string | null = null;
  let disposed = false;

  function insert(entry: TrackedConnection): void {
    const key = keyOf(entry.tabId, entry.frameId, entry.pcId);
    entries.set(key, entry);
    let keys = byTab.get(entry.tabId);
    if (!keys) byTab.set(entry.tabId, (keys = new Set()));
    keys.add(key);
  }

  function removeKey(key: string): TrackedConnection | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    entries.delete(key);
    const keys = byTab.get(entry.tabId);
    keys?.delete(key);
    if (keys?.size === 0) byTab.delete(entry.tabId);
    return entry;
  }

  function removeKeys(keys: Iterable<string>): TrackedConnection[] {
    const removed: TrackedConnection[] = [];
    for (const key of [...keys]) {
      const entry = removeKey(key);
      if (entry) removed.push(entry);
    }
    if (removed.length > 0) schedulePersist(persistDelayMs);
    return removed;
  }

  /** The least recently updated of `keys`; with `unconnectedOnly`, among those never connected. */
  function leastRecentlyUpdated(keys: Iterable<string>, unconnectedOnly: boolean): string | undefined {
    let oldestKey: string | undefined;
    let oldestAt = Infinity;
    for (const key of keys) {
      const entry = entries.get(key);
      if (!entry || (unconnectedOnly && entry.connectedAt !== undefined)) continue;
      if (oldestKey === undefined || entry.lastReportAt < oldestAt) {
        oldestKey = key;
        oldestAt = entry.lastReportAt;
      }
    }
    return oldestKey;
  }

  /** Never-connected connections go first; connected ones only when `mayEvictCalls` (caps lowered). */
  function evictionCandidate(keys: Iterable<string>, mayEvictCalls: boolean): string | undefined {
    const list = [...keys];
    return leastRecentlyUpdated(list, true) ?? (mayEvictCalls ? leastRecentlyUpdated(list, false) : undefined);
  }

  /**
   * Evicts until adding `incoming` more keeps the per-tab cap (of `tabId`, or of every tab) and
   * the total cap. For a new connection (`incoming` > 0) only never-connected entries may go, and
   * when they are not enough nothing is evicted and null is returned (the newcomer is refused).
   */
  function makeRoom(tabId: number | undefined, incoming: number): TrackedConnection[] | null {
    const limits = options.limits();
    const perTab = Math.max(1, limits.maxConnectionsPerTab);
    const total = Math.max(1, limits.maxConnectionsTotal);
    const mayEvictCalls = incoming === 0;
    const tabs = tabId === undefined ? [...byTab.keys()] : [tabId];
    if (!mayEvictCalls && tabId !== undefined) {
      const unconnected = (keys: Iterable<string>) => [...keys].filter((key) => entries.get(key)?.connectedAt === undefined).length;
      const tabKeys = byTab.get(tabId) ?? new Set<string>();
      const fromTab = Math.max(0, tabKeys.size + incoming - perTab);
      if (unconnected(tabKeys) < fromTab) {
        options.drops.count(TRACKER_REFUSED.tabFull);
        return null;
      }
      const fromAll = Math.max(0, entries.size - fromTab + incoming - total);
      if (unconnected(entries.keys()) - fromTab < fromAll) {
        options.drops.count(TRACKER_REFUSED.totalFull);
        return null;
      }
    }
    const evicted: TrackedConnection[] = [];
    for (const tab of tabs) {
      while ((byTab.get(tab)?.size ?? 0) + incoming > perTab) {
        const key = evictionCandidate(byTab.get(tab) ?? [], mayEvictCalls);
        const entry = key === undefined ? undefined : removeKey(key);
        if (!entry) break;
        evictions.tabCap++;
        options.drops.count('tracker-evicted-tab-cap');
        evicted.push(entry);
      }
    }
    while (entries.size + incoming > total) {
      const key = evictionCandidate(entries.keys(), mayEvictCalls);
      const entry = key === undefined ? undefined : removeKey(key);
      if (!entry) break;
      evictions.totalCap++;
      options.drops.count('tracker-evicted-total-cap');
      evicted.push(entry);
    }
    if (evicted.length > 0) schedulePersist(persistDelayMs);
    return evicted;
  }

  function uniqueGroupId(): string {
    const used = new Set([...entries.values()].map((entry) => entry.groupId));
    // A collision of 62 random bits does not happen; an injected generator in tests might repeat.
    for (let attempt = 0; attempt < 8; attempt++) {
      const candidate = newGroupId();
      if (!used.has(candidate)) return candidate;
    }
    throw new Error('connection tracker: could not find an unused group id');
  }

  function schedulePersist(delayMs: number): void {
    dirty = true;
    if (disposed) return;
    const due = now() + delayMs;
    if (timer !== undefined && timerDue <= due) return;
    if (timer !== undefined) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerDue = Infinity;
      void flush();
    }, delayMs);
  }

  function flush(): Promise<boolean> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDue = Infinity;
    // Writes are chained so an older snapshot can never land after a newer one.
    const result = writing.then(async () => {
      if (!dirty) return true;
      dirty = false;
      const snapshot = { version: TRACKER_LAYOUT_VERSION, entries: [...entries.values()] };
      try {
        await options.area.set({ [storageKey]: snapshot });
        persistError = null;
        return true;
      } catch (error) {
        dirty = true;
        persistError = error instanceof Error ? error.message : String(error);
        options.onPersistError?.(error);
        return false;
      }
    });
    writing = result.catch(() => {});
    return result;
  }

  function parseStored(raw: unknown): { entries: unknown[]; invalid: InvalidTrackedEntry[] } {
    // Nothing saved yet (first start, or storage was cleared): nothing to restore, nothing wrong.
    if (raw === undefined || raw === null) return { entries: [], invalid: [] };
    let value = raw;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        return { entries: [], invalid: [{ groupId: null, reason: 'stored tracker is not valid JSON' }] };
      }
    }
    const container = storedTrackerSchema.safeParse(value);
    if (!container.success) {
      const reason = `stored tracker: ${describeIssues(container.error)}`;
      // An unknown layout (e.g. written by a newer build before a downgrade) is not restored, but
      // the group ids it still names are salvaged so that their Pushgateway groups get deleted.
      const listed = (value as { entries?: unknown } | null)?.entries;
      const salvaged = Array.isArray(listed)
        ? listed.slice(0, RESTORE_HARD_CAP).flatMap((raw) => {
            const groupId = salvageGroupId(raw);
            return groupId ? [{ groupId, reason }] : [];
          })
        : [];
      return { entries: [], invalid: salvaged.length > 0 ? salvaged : [{ groupId: null, reason }] };
    }
    const kept = container.data.entries.slice(0, RESTORE_HARD_CAP);
    const invalid = container.data.entries
      .slice(RESTORE_HARD_CAP)
      .map((extra) => ({ groupId: salvageGroupId(extra), reason: `more than ${RESTORE_HARD_CAP} stored entries` }));
    return { entries: kept, invalid };
  }

  return {
    async restore() {
      const stored = parseStored(await options.area.get(storageKey));
      const invalid = stored.invalid;
      let restored = 0;
      for (const raw of stored.entries) {
        const parsed = trackedConnectionSchema.safeParse(raw);
        if (!parsed.success) {
          invalid.push({ groupId: salvageGroupId(raw), reason: describeIssues(parsed.error) });
          continue;
        }
        const entry = parsed.data;
        const live = entries.get(keyOf(entry.tabId, entry.frameId, entry.pcId));
        if (live) {
          // The connection reported before the restore finished and got a new group: the stored one is an orphan.
          if (live.groupId !== entry.groupId) invalid.push({ groupId: entry.groupId, reason: 'superseded by a live entry' });
          continue;
        }
        insert(entry);
        restored++;
      }
      pendingInvalid = [...pendingInvalid, ...invalid].slice(-RESTORE_HARD_CAP);
      // Rewrite so that invalid entries do not come back on the next start.
      if (invalid.length > 0) schedulePersist(persistDelayMs);
      return { restored, invalid };
    },

    upsert(update) {
      const parsed = connectionUpdateSchema.safeParse(update);
      if (!parsed.success) throw new Error(`connection tracker: invalid update: ${describeIssues(parsed.error)}`);
      const { tabId, frameId, pcId, origin, url, platform, state } = parsed.data;
      const at = now();
      const key = keyOf(tabId, frameId, pcId);
      const existing = entries.get(key);
      if (existing) {
        const structural = existing.origin !== origin || existing.platform !== platform || existing.url !== url;
        const becameCall = existing.connectedAt === undefined && state === 'connected';
        const entry: TrackedConnection = {
          ...existing,
          origin,
          ...(url !== undefined ? { url } : {}),
          platform,
          state,
          lastReportAt: Math.max(existing.lastReportAt, at),
          ...(becameCall ? { connectedAt: at } : {}),
        };
        entries.set(key, entry);
        schedulePersist(structural || becameCall ? persistDelayMs : lazyPersistDelayMs);
        return { entry, isNew: false, evicted: [] };
      }
      const evicted = makeRoom(tabId, 1);
      if (!evicted) return null;
      const entry: TrackedConnection = {
        groupId: uniqueGroupId(),
        tabId,
        frameId,
        pcId,
        origin,
        ...(url !== undefined ? { url } : {}),
        platform,
        state,
        startedAt: at,
        lastReportAt: at,
        ...(state === 'connected' ? { connectedAt: at } : {}),
      };
      insert(entry);
      schedulePersist(persistDelayMs);
      return { entry, isNew: true, evicted };
    },

    get(tabId, frameId, pcId) {
      return entries.get(keyOf(tabId, frameId, pcId));
    },
    end(tabId, frameId, pcId) {
      return removeKeys([keyOf(tabId, frameId, pcId)]);
    },
    endFrame(tabId, frameId) {
      const keys = [...(byTab.get(tabId) ?? [])].filter((key) => entries.get(key)?.frameId === frameId);
      return removeKeys(keys);
    },
    endTab(tabId) {
      return removeKeys(byTab.get(tabId) ?? []);
    },
    removeWhere(predicate) {
      const keys = [...entries].filter(([, entry]) => predicate(entry)).map(([key]) => key);
      return removeKeys(keys);
    },
    enforceLimits() {
      return makeRoom(undefined, 0) ?? [];
    },
    takeInvalid() {
      const taken = pendingInvalid;
      pendingInvalid = [];
      return taken;
    },

    list() {
      return [...entries.values()];
    },
    forTab(tabId) {
      return [...(byTab.get(tabId) ?? [])].flatMap((key) => entries.get(key) ?? []);
    },
    size() {
      return entries.size;
    },
    countsByOrigin() {
      // A Map, then own properties: an origin string can never reach an object's prototype.
      const counts = new Map<string, number>();
      for (const entry of entries.values()) counts.set(entry.origin, (counts.get(entry.origin) ?? 0) + 1);
      return Object.fromEntries(counts);
    },
    countForTab(tabId) {
      return byTab.get(tabId)?.size ?? 0;
    },
    tabIds() {
      return [...byTab.keys()];
    },
    tabCount() {
      return byTab.size;
    },
    stats() {
      return {
        size: entries.size,
        tabs: byTab.size,
        evictedTabCap: evictions.tabCap,
        evictedTotalCap: evictions.totalCap,
        persistError,
      };
    },

    flush,
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      timerDue = Infinity;
    },
  };
}
