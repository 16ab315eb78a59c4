import { z } from 'zod';
import type { KeyValueArea } from '../storage/key-value-area';
import type { DropCounter } from '../resilience/drop-counter';
import type { GroupingKey } from './pushgateway-client';
import { gatewayTargetSchema, targetKey, type GatewayTarget } from './gateway-targets';
import { createThrottledSaver } from './throttled-saver';
import { readPersisted } from '../storage/read-persisted';

/**
 * The coalescing outbox. A Pushgateway push replaces the group's state, so only the latest
 * snapshot of each group is worth sending: a newer snapshot replaces an unsent older one (that
 * is not a loss). A pending deletion replaces any snapshot of its group. Entries are handed out
 * with a version; an acknowledgement only clears the entry if it was not replaced meanwhile,
 * and a group with a request in flight is not handed out again until that request is settled,
 * so a delete can never overtake (and be undone by) an earlier push. The same holds across
 * outbox ids: a delete is not handed out while any request under its grouping key is in flight
 * (the delete at an earlier gateway, or under a key the group no longer uses, has an id of its
 * own, and a PUT still uploading there would land after it and recreate the group for good).
 */
export interface Outbox {
  /** Stores the latest snapshot of a group; clears its rejected mark. */
  put(groupId: string, groupingKey: GroupingKey, body: string): void;
  /**
   * Queues deletion of a group, replacing any pending snapshot of it. With `target`, the delete
   * goes there (an earlier gateway or job); without, to the gateway current when it is sent.
   */
  remove(groupId: string, groupingKey: GroupingKey, target?: GatewayTarget): void;
  /**
   * The gateway or job changed: pending deletes that had no target yet were meant for the old
   * one, so they are bound to `target` now. Snapshots stay unbound: they go to the new gateway.
   */
  pinDeletes(target: GatewayTarget): number;
  /** Targets that pending entries are bound to. */
  pinnedTargets(): GatewayTarget[];
  /**
   * What is ready to send (not in flight, not rejected, not in `skip`; a delete also not while a
   * request under its grouping key is in flight), least recently updated first, at most `limit`
   * items; marks them in flight until `ack`, `fail`, `reject` or `release`.
   */
  take(limit?: number, skip?: ReadonlySet<string>): OutboxItem[];
  /** Like `take` but marks nothing. */
  peek(): OutboxItem[];
  /** The request for this version succeeded: clear the entry unless it was replaced meanwhile. */
  ack(groupId: string, version: number): void;
  /** The request failed for a passing reason (outage): keep the entry for the next flush. */
  fail(groupId: string, version: number): void;
  /** The gateway refused this version (4xx): do not retry it until a newer snapshot or `clearRejected`. */
  reject(groupId: string, version: number, message: string): void;
  /** The request was not sent (breaker open, cancelled): give the entry back untouched. */
  release(groupId: string): void;
  /** Makes rejected entries sendable again (e.g. after the gateway settings changed). */
  clearRejected(): number;
  stats(): OutboxStats;
  /** Loads the persisted outbox; entries already put in this run win over restored ones. */
  restore(): Promise<void>;
  /** Persists now. */
  flush(): Promise<void>;
  dispose(): void;
}

export interface OutboxItem {
  groupId: string;
  version: number;
  kind: 'push' | 'delete';
  groupingKey: GroupingKey;
  /** The exposition text for a push; '' for a delete. */
  body: string;
  /** Where it goes; absent: the gateway and job current when it is sent. */
  target?: GatewayTarget;
  updatedAt: number;
  /** Failed attempts so far for this entry. */
  attempt: number;
}

export interface OutboxStats {
  /** Groups with a snapshot waiting (including rejected ones). */
  groups: number;
  bytes: number;
  pendingDeletes: number;
  rejected: number;
  inFlight: number;
  persistError: string | null;
}

export interface OutboxLimits {
  maxGroups: number;
  maxBytes: number;
}

export interface OutboxOptions {
  /** Where snapshots are kept: they must outlive a service-worker restart (storage.session first). */
  area: KeyValueArea;
  /**
   * Where pending deletes are kept: they must outlive a browser restart and an extension update
   * (storage.local first), or the groups they would delete stay in the gateway for good.
   * Default `area`.
   */
  deleteArea?: KeyValueArea;
  limits: () => OutboxLimits;
  drops: DropCounter;
  now?: () => number;
  storageKey?: string;
  /** Longest wait before state at risk (a delete, a failed or refused entry) is written. Default 250 ms. */
  persistDelayMs?: number;
  /**
   * Longest wait while the outbox holds only snapshots on their first attempt. Those are being
   * sent now, and the connection's next report replaces them anyway, so rewriting every body
   * four times a second buys nothing. Default 2,000 ms.
   */
  lazyPersistDelayMs?: number;
}

export const OUTBOX_STORAGE_KEY = 'exporter.outbox';
/** Key of the pending deletes, in `deleteArea`. */
export const OUTBOX_DELETES_STORAGE_KEY = 'exporter.outbox.deletes';

/** Drop reasons this module counts. */
export const OUTBOX_DROPS = {
  evicted: 'outbox-evicted',
  deleteEvicted: 'outbox-delete-evicted',
  oversize: 'outbox-oversize',
  corrupt: 'outbox-corrupt',
} as const;

const persistedEntrySchema = z.object({
  groupId: z.string().min(1).max(1_000),
  kind: z.enum(['push', 'delete']),
  groupingKey: z.record(z.string().max(200), z.string().max(2_000)),
  body: z.string(),
  updatedAt: z.number().finite(),
  attempt: z.number().int().min(0).default(0),
  rejected: z.string().max(2_000).optional(),
  target: gatewayTargetSchema.optional(),
});
type PersistedEntry = z.infer<typeof persistedEntrySchema>;

const persistedOutboxSchema = z.object({
  format: z.literal(1),
  entries: z.array(z.unknown()),
});

interface Entry {
  kind: 'push' | 'delete';
  groupingKey: GroupingKey;
  /** `groupingKey` as text: requests under equal keys must not overtake each other. */
  keyText: string;
  body: string;
  bytes: number;
  target?: GatewayTarget;
  updatedAt: number;
  version: number;
  attempt: number;
  /** The gateway's message when it refused this entry. */
  rejected?: string;
}

/** Creates an empty outbox; call `restore()` once at start to load what a previous run left. */
export function createOutbox(options: OutboxOptions): Outbox {
  const now = options.now ?? Date.now;
  const storageKey = options.storageKey ?? OUTBOX_STORAGE_KEY;
  const deletesKey = options.storageKey ? `${options.storageKey}.deletes` : OUTBOX_DELETES_STORAGE_KEY;
  const deleteArea = options.deleteArea ?? options.area;
  // Map order is the eviction order: an updated entry is moved to the end.
  const entries = new Map<string, Entry>();
  /** Outbox ids handed out and not settled yet, with the grouping key each went under. */
  const inFlight = new Map<string, string>();
  /** Requests in flight per grouping key (as text). */
  const busyKeys = new Map<string, number>();
  let version = 0;
  let bytes = 0;
  const persistDelayMs = options.persistDelayMs ?? 250;
  const lazyPersistDelayMs = Math.max(persistDelayMs, options.lazyPersistDelayMs ?? 2_000);
  /** What the last successful writes stored, as entry versions per kind; null when unknown. */
  const savedSignature: Record<Entry['kind'], string | null> = { push: null, delete: null };

  const saver = createThrottledSaver({ delayMs: persistDelayMs, save, now });

  async function save(): Promise<void> {
    // Deletes first: a delete that replaced a snapshot wins over it on restore (it is newer),
    // so a write cut short between the two keys loses nothing.
    await saveKind('delete', deleteArea, deletesKey);
    await saveKind('push', options.area, storageKey);
  }

  async function saveKind(kind: Entry['kind'], area: KeyValueArea, key: string): Promise<void> {
    // Versions are unique per put/remove, so equal signatures mean equal stored content: in
    // steady state the outbox is empty at most writes, and empty need not be written twice.
    const signature = signatureOf(kind);
    if (signature === savedSignature[kind]) return;
    await area.set({ [key]: serialize(kind) });
    savedSignature[kind] = signature;
  }

  function signatureOf(kind: Entry['kind']): string {
    let text = '';
    for (const [groupId, entry] of entries) {
      if (entry.kind !== kind) continue;
      text += `${groupId}\u0000${entry.version}\u0000${entry.attempt}\u0000${entry.rejected ?? ''}\u0000${entry.target ? targetKey(entry.target) : ''}\u0001`;
    }
    return text;
  }

  /** True when losing the unsaved state would lose something a later report does not bring back. */
  function atRisk(): boolean {
    for (const entry of entries.values()) {
      if (entry.kind === 'delete' || entry.attempt > 0 || entry.rejected !== undefined) return true;
    }
    return false;
  }

  function serialize(kind: Entry['kind']): { format: 1; entries: PersistedEntry[] } {
    const list: PersistedEntry[] = [];
    for (const [groupId, entry] of entries) {
      if (entry.kind !== kind) continue;
      list.push({
        groupId,
        kind: entry.kind,
        groupingKey: entry.groupingKey,
        body: entry.body,
        updatedAt: entry.updatedAt,
        attempt: entry.attempt,
        ...(entry.rejected !== undefined ? { rejected: entry.rejected } : {}),
        ...(entry.target !== undefined ? { target: entry.target } : {}),
      });
    }
    return { format: 1, entries: list };
  }

  function setEntry(groupId: string, entry: Entry): void {
    const old = entries.get(groupId);
    if (old) {
      bytes -= old.bytes;
      entries.delete(groupId);
    }
    entries.set(groupId, entry);
    bytes += entry.bytes;
  }

  function deleteEntry(groupId: string): void {
    const old = entries.get(groupId);
    if (!old) return;
    bytes -= old.bytes;
    entries.delete(groupId);
  }

  function markInFlight(groupId: string, keyText: string): void {
    inFlight.set(groupId, keyText);
    busyKeys.set(keyText, (busyKeys.get(keyText) ?? 0) + 1);
  }

  function settle(groupId: string): void {
    const keyText = inFlight.get(groupId);
    if (keyText === undefined) return;
    inFlight.delete(groupId);
    const left = (busyKeys.get(keyText) ?? 1) - 1;
    if (left > 0) busyKeys.set(keyText, left);
    else busyKeys.delete(keyText);
  }

  /** Evicts least recently updated snapshots, then deletes, until within limits; `keep` goes last. */
  function enforceLimits(keep?: string): void {
    const { maxGroups, maxBytes } = options.limits();
    while (entries.size > maxGroups || bytes > maxBytes) {
      const victim = pickVictim('push', keep) ?? pickVictim('delete', keep) ?? keep;
      if (victim === undefined) return;
      const entry = entries.get(victim);
      options.drops.count(entry?.kind === 'delete' ? OUTBOX_DROPS.deleteEvicted : OUTBOX_DROPS.evicted);
      deleteEntry(victim);
    }
  }

  function pickVictim(kind: Entry['kind'], keep: string | undefined): string | undefined {
    for (const [groupId, entry] of entries) {
      if (entry.kind === kind && groupId !== keep) return groupId;
    }
    return undefined;
  }

  function toItem(groupId: string, entry: Entry): OutboxItem {
    return {
      groupId,
      version: entry.version,
      kind: entry.kind,
      groupingKey: entry.groupingKey,
      body: entry.body,
      ...(entry.target !== undefined ? { target: entry.target } : {}),
      updatedAt: entry.updatedAt,
      attempt: entry.attempt,
    };
  }

  function changed(): void {
    saver.markDirty(atRisk() ? persistDelayMs : lazyPersistDelayMs);
  }

  return {
    put(groupId, groupingKey, body) {
      const size = utf8Length(body);
      if (size > options.limits().maxBytes) {
        // One body larger than the whole budget would evict everything else and still not fit.
        options.drops.count(OUTBOX_DROPS.oversize);
        return;
      }
      setEntry(groupId, { kind: 'push', groupingKey: { ...groupingKey }, keyText: groupingKeyText(groupingKey), body, bytes: size, updatedAt: now(), version: ++version, attempt: 0 });
      enforceLimits(groupId);
      changed();
    },

    remove(groupId, groupingKey, target) {
      setEntry(groupId, {
        kind: 'delete',
        groupingKey: { ...groupingKey },
        keyText: groupingKeyText(groupingKey),
        body: '',
        bytes: 0,
        ...(target !== undefined ? { target: { ...target } } : {}),
        updatedAt: now(),
        version: ++version,
        attempt: 0,
      });
      enforceLimits(groupId);
      changed();
    },

    pinDeletes(target) {
      let pinned = 0;
      for (const entry of entries.values()) {
        if (entry.kind !== 'delete' || entry.target !== undefined) continue;
        entry.target = { ...target };
        // A delete the new gateway refused may well be accepted by the old one.
        delete entry.rejected;
        pinned += 1;
      }
      if (pinned > 0) changed();
      return pinned;
    },

    pinnedTargets() {
      const found = new Map<string, GatewayTarget>();
      for (const entry of entries.values()) {
        if (entry.target) found.set(targetKey(entry.target), entry.target);
      }
      return [...found.values()];
    },

    take(limit = Number.POSITIVE_INFINITY, skip) {
      const items: OutboxItem[] = [];
      if (limit <= 0) return items;
      for (const [groupId, entry] of entries) {
        if (inFlight.has(groupId) || entry.rejected !== undefined || skip?.has(groupId)) continue;
        // A push never waits: it goes to the current gateway, and a delete in flight elsewhere
        // (an unreachable old gateway) must not hold it up.
        if (entry.kind === 'delete' && busyKeys.has(entry.keyText)) continue;
        markInFlight(groupId, entry.keyText);
        items.push(toItem(groupId, entry));
        if (items.length >= limit) break;
      }
      return items;
    },

    peek() {
      const items: OutboxItem[] = [];
      for (const [groupId, entry] of entries) {
        if (!inFlight.has(groupId) && entry.rejected === undefined && !(entry.kind === 'delete' && busyKeys.has(entry.keyText))) {
          items.push(toItem(groupId, entry));
        }
      }
      return items;
    },

    ack(groupId, itemVersion) {
      settle(groupId);
      if (entries.get(groupId)?.version !== itemVersion) return;
      deleteEntry(groupId);
      changed();
    },

    fail(groupId, itemVersion) {
      settle(groupId);
      const entry = entries.get(groupId);
      if (entry?.version !== itemVersion) return;
      entry.attempt += 1;
      changed();
    },

    reject(groupId, itemVersion, message) {
      settle(groupId);
      const entry = entries.get(groupId);
      if (entry?.version !== itemVersion) return;
      entry.attempt += 1;
      entry.rejected = message.slice(0, 2_000);
      changed();
    },

    release(groupId) {
      settle(groupId);
    },

    clearRejected() {
      let cleared = 0;
      for (const entry of entries.values()) {
        if (entry.rejected === undefined) continue;
        delete entry.rejected;
        cleared += 1;
      }
      if (cleared > 0) changed();
      return cleared;
    },

    stats() {
      let groups = 0;
      let pendingDeletes = 0;
      let rejected = 0;
      for (const entry of entries.values()) {
        if (entry.kind === 'push') groups += 1;
        else pendingDeletes += 1;
        if (entry.rejected !== undefined) rejected += 1;
      }
      return { groups, bytes, pendingDeletes, rejected, inFlight: inFlight.size, persistError: saver.lastError() };
    },

    async restore() {
      // An older version kept deletes with the snapshots: either key may hold either kind.
      // Snapshots first, so that on equal times a delete of the same group comes later and wins.
      const kinds = ['push', 'delete'] as const;
      const reads = await Promise.all([
        readPersisted(options.area, storageKey, persistedOutboxSchema),
        readPersisted(deleteArea, deletesKey, persistedOutboxSchema),
      ]);
      const candidates: unknown[] = [];
      const restored: PersistedEntry[] = [];
      let misplaced = false;
      reads.forEach((parsed, index) => {
        if (parsed.status === 'corrupt') {
          options.drops.count(OUTBOX_DROPS.corrupt);
          changed();
        }
        if (parsed.status !== 'ok') return;
        candidates.push(...parsed.value.entries);
        for (const candidate of parsed.value.entries) {
          const entry = persistedEntrySchema.safeParse(candidate);
          if (!entry.success) {
            options.drops.count(OUTBOX_DROPS.corrupt);
            continue;
          }
          restored.push(entry.data);
          // Stored under the other kind's key (by an earlier version): rewrite where it belongs.
          if (entry.data.kind !== kinds[index]) misplaced = true;
        }
      });
      if (reads.every((parsed) => parsed.status !== 'ok')) return;
      // Oldest first: where both keys hold a group, the newer entry (a delete) replaces the older.
      restored.sort((a, b) => a.updatedAt - b.updatedAt);
      // Entries put before the restore finished are newer than anything on disk: they win.
      const fresh = new Map(entries);
      entries.clear();
      bytes = 0;
      for (const item of restored) {
        if (fresh.has(item.groupId)) continue;
        setEntry(item.groupId, {
          kind: item.kind,
          groupingKey: item.groupingKey,
          keyText: groupingKeyText(item.groupingKey),
          body: item.kind === 'push' ? item.body : '',
          bytes: item.kind === 'push' ? utf8Length(item.body) : 0,
          updatedAt: item.updatedAt,
          version: ++version,
          attempt: item.attempt,
          ...(item.rejected !== undefined ? { rejected: item.rejected } : {}),
          ...(item.target !== undefined ? { target: item.target } : {}),
        });
      }
      for (const [groupId, entry] of fresh) setEntry(groupId, entry);
      enforceLimits();
      if (misplaced || restored.length !== candidates.length || fresh.size > 0) changed();
    },

    flush: () => saver.flush(),
    dispose: () => saver.dispose(),
  };
}

/** A grouping key as text, independent of the order its labels were set in. */
function groupingKeyText(groupingKey: GroupingKey): string {
  return JSON.stringify(Object.entries(groupingKey).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** UTF-8 byte length without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      length += 4;
      i += 1;
    } else length += 3;
  }
  return length;
}
