import { z } from 'zod';
import { QUALITY_CLASSES, type QualityClass } from '../quality/quality-types';
import type { DropCounter } from '../resilience/drop-counter';
import type { KeyValueArea } from '../storage/key-value-area';
import { readPersisted } from '../storage/read-persisted';
import { createThrottledSaver } from './throttled-saver';

/** Storage key of the export state (beside the tracker's, in the same durable area). */
export const EXPORT_STATE_KEY = 'exportState';
/** Hard ceiling on exported groups remembered; the tracker's own caps are far below it. */
export const MAX_EXPORTED_GROUPS = 10_000;
/** Distinct platform/class counter keys kept (platforms and classes are small known sets). */
const MAX_COUNTER_KEYS = 64;
/** Counters and call ids are written within this; a worker stop loses at most this much. */
const SAVE_DELAY_MS = 1_000;

const ID = z.string().regex(/^[a-z0-9-]{1,40}$/);
const groupingKeySchema = z.record(z.string().max(200), z.string().max(2_000));

const exportedGroupSchema = z.object({
  tabId: z.number().int(),
  callId: ID,
  platform: z.string().max(40),
  startedAt: z.number(),
  /** The grouping key the group was last pushed under: its delete must use the same one. */
  key: groupingKeySchema,
  /** Worst window class seen so far (the class it is counted under when it ends). */
  worst: z.enum(QUALITY_CLASSES).nullable(),
});
export type ExportedGroup = z.infer<typeof exportedGroupSchema>;

const counterSchema = z.record(z.string().max(80), z.number().int().nonnegative());
const stateSchema = z.object({
  version: z.literal(1),
  groups: z.record(ID, exportedGroupSchema),
  started: counterSchema,
  ended: counterSchema,
});

/** Per-browser call counters, as docs/metrics.md exports them. */
export interface CallCounters {
  /** platform -> connections that became exported. */
  started: Record<string, number>;
  /** `platform/class` -> connections that ended with that final class. */
  ended: Record<string, number>;
}

const RANK: Record<QualityClass, number> = { good: 0, fair: 1, poor: 2 };

function mintId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => (byte % 36).toString(36)).join('');
}

/**
 * What the background remembers about each connection it exports, across service-worker
 * restarts: its call id (shared by the connections of one tab's page session, assigned here,
 * never by the page), start time, the grouping key it was pushed under, its worst class so far;
 * and the per-browser counters of connections started and ended by final class, which must not
 * go back to zero when the worker restarts (Prometheus would read a reset).
 */
export function createExportState(options: { area: KeyValueArea; drops: DropCounter; now?: () => number }) {
  const now = options.now ?? Date.now;
  const groups = new Map<string, ExportedGroup>();
  const started = new Map<string, number>();
  const ended = new Map<string, number>();
  const saver = createThrottledSaver({
    delayMs: SAVE_DELAY_MS,
    now,
    save: () =>
      options.area.set({
        [EXPORT_STATE_KEY]: {
          version: 1,
          groups: Object.fromEntries(groups),
          started: Object.fromEntries(started),
          ended: Object.fromEntries(ended),
        },
      }),
  });

  function bump(counters: Map<string, number>, key: string): void {
    if (!counters.has(key) && counters.size >= MAX_COUNTER_KEYS) {
      options.drops.count('call-counter-over-cap');
      return;
    }
    counters.set(key, (counters.get(key) ?? 0) + 1);
  }

  return {
    /** Reads the state saved by an earlier worker; unreadable state is counted and dropped. */
    async restore(): Promise<void> {
      const read = await readPersisted(options.area, EXPORT_STATE_KEY, stateSchema);
      if (read.status === 'corrupt') options.drops.count('export-state-corrupt');
      if (read.status !== 'ok') return;
      // Anything this worker recorded before the restore finished is newer: keep it.
      for (const [id, group] of Object.entries(read.value.groups)) if (!groups.has(id)) groups.set(id, group);
      for (const [key, count] of Object.entries(read.value.started)) started.set(key, count + (started.get(key) ?? 0));
      for (const [key, count] of Object.entries(read.value.ended)) ended.set(key, count + (ended.get(key) ?? 0));
    },
    get(groupId: string): ExportedGroup | undefined {
      return groups.get(groupId);
    },
    /**
     * The call id for a new connection of `tabId`: the one its live exported connections share,
     * or a new one when the tab has none (a new page session, or a new call after the last ended).
     */
    callIdFor(tabId: number): string {
      for (const group of groups.values()) if (group.tabId === tabId) return group.callId;
      return mintId();
    },
    /** The connection became exported (connected or had RTP): counted as started. False past the cap. */
    begin(groupId: string, group: Omit<ExportedGroup, 'worst'>): boolean {
      if (groups.has(groupId)) return true;
      if (groups.size >= MAX_EXPORTED_GROUPS) {
        options.drops.count('export-state-over-cap');
        return false;
      }
      groups.set(groupId, { ...group, worst: null });
      bump(started, group.platform);
      // Written at once: a worker stopped before the write would forget the group's key (its delete
      // could not be sent) and give the rest of the call a new call id.
      saver.markDirty(0);
      return true;
    },
    /** A window's class: the connection's final class is the worst one seen. */
    noteClass(groupId: string, qualityClass: QualityClass): void {
      const group = groups.get(groupId);
      if (!group || (group.worst !== null && RANK[group.worst] >= RANK[qualityClass])) return;
      group.worst = qualityClass;
      saver.markDirty();
    },
    setKey(groupId: string, key: Record<string, string>): void {
      const group = groups.get(groupId);
      if (!group) return;
      group.key = { ...key };
      saver.markDirty(0);
    },
    /**
     * The connection ended: counted by platform and final class (a connection that ended before
     * its first window was classified counts as good: nothing bad was measured), and forgotten.
     */
    end(groupId: string): ExportedGroup | undefined {
      const group = groups.get(groupId);
      if (!group) return undefined;
      groups.delete(groupId);
      bump(ended, `${group.platform}/${group.worst ?? 'good'}`);
      saver.markDirty(0);
      return group;
    },
    counters(): CallCounters {
      return { started: Object.fromEntries(started), ended: Object.fromEntries(ended) };
    },
    size: () => groups.size,
    flush: () => saver.flush(),
    dispose: () => saver.dispose(),
  };
}
export type ExportState = ReturnType<typeof createExportState>;
