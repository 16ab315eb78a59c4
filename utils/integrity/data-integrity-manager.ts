import type { ConnectionTracker, TrackedConnection } from './connection-tracker';

/** What a check can find and repair. */
export const REPAIR_KINDS = ['invalid-entry', 'duplicate-group', 'closed-tab', 'stale', 'over-cap'] as const;
export type RepairKind = (typeof REPAIR_KINDS)[number];

/**
 * A connection the checker removed. Entries from storage that failed validation carry only
 * their group id; several removed entries may share one group id (duplicates).
 */
export type RemovedConnection = Partial<TrackedConnection> & { groupId: string };

export interface IntegrityReport {
  at: number;
  /** Every kind, with how many connections (or unreadable stored entries) it repaired. */
  repaired: Record<RepairKind, number>;
}

export interface IntegrityCheckerOptions {
  tracker: ConnectionTracker;
  /** Whether a tab still exists (e.g. `browser.tabs.get` resolves). An error counts as "exists": never remove on doubt. */
  tabExists(tabId: number): Promise<boolean>;
  /** A connection with no report for longer than this is removed (`settings.reliability.staleConnectionMs`). */
  staleMs: () => number;
  now?: () => number;
  /** Gets what was removed, so the caller queues the deletion of their Pushgateway groups. */
  onRemoved(removed: RemovedConnection[], reason: RepairKind): void | Promise<void>;
  onError?: (error: unknown, where: string) => void;
}

export interface IntegrityChecker {
  /** Runs every check once. Concurrent calls share one run. */
  run(): Promise<IntegrityReport>;
  lastReport(): IntegrityReport | null;
  /** Repairs since start, by kind. */
  totals(): Record<RepairKind, number>;
  /**
   * Records repairs made outside the tracker (e.g. unreadable outbox entries dropped on
   * restore), so health shows every repair in one place. At most 16 such kinds are kept.
   */
  noteRepaired(kind: string, count: number): void;
  /** The checker's part of `Health['integrity']`. */
  health(): { lastRunAt: number | null; repaired: Record<string, number> };
}

const MAX_EXTERNAL_KINDS = 16;

function zeroCounts(): Record<RepairKind, number> {
  return Object.fromEntries(REPAIR_KINDS.map((kind) => [kind, 0])) as Record<RepairKind, number>;
}

/**
 * Creates the data integrity manager of the seed plan (3.6). Counts per origin are derived
 * from the tracker, so they cannot drift and need no repair; what can go wrong is the
 * tracker's content itself: entries that did not survive storage, group ids used twice,
 * connections of tabs that closed while the worker was stopped, connections that went
 * silent, and more connections than the (possibly lowered) caps allow. Every removal goes
 * to `onRemoved`, so no Pushgateway group is left behind.
 */
export function createIntegrityChecker(options: IntegrityCheckerOptions): IntegrityChecker {
  const now = options.now ?? Date.now;
  const onError =
    options.onError ?? ((error: unknown, where: string) => console.error(`[integrity] ${where}`, error));
  const totals = zeroCounts();
  const external = new Map<string, number>();
  let last: IntegrityReport | null = null;
  let running: Promise<IntegrityReport> | null = null;

  async function report(
    removed: RemovedConnection[],
    reason: RepairKind,
    repaired: Record<RepairKind, number>,
    count = removed.length,
  ) {
    repaired[reason] += count;
    if (removed.length === 0) return;
    try {
      await options.onRemoved(removed, reason);
    } catch (error) {
      onError(error, `onRemoved(${reason})`);
    }
  }

  async function tabsGone(tabIds: number[]): Promise<number[]> {
    const results = await Promise.all(
      tabIds.map(async (tabId) => {
        try {
          return (await options.tabExists(tabId)) ? null : tabId;
        } catch (error) {
          onError(error, `tabExists(${tabId})`);
          return null;
        }
      }),
    );
    return results.filter((tabId): tabId is number => tabId !== null);
  }

  async function runOnce(): Promise<IntegrityReport> {
    const { tracker } = options;
    const repaired = zeroCounts();

    // Stored entries that failed validation: delete their groups, unless a live entry uses the same one.
    const invalid = tracker.takeInvalid();
    const liveGroups = new Set(tracker.list().map((entry) => entry.groupId));
    const orphanGroups = [...new Set(invalid.flatMap((entry) => (entry.groupId ? [entry.groupId] : [])))].filter(
      (groupId) => !liveGroups.has(groupId),
    );
    // Counted per unreadable entry, including those whose group id was lost with them.
    await report(
      orphanGroups.map((groupId) => ({ groupId })),
      'invalid-entry',
      repaired,
      invalid.length,
    );

    // Two connections pushing into one group would overwrite each other. Both are removed and the
    // group deleted; each gets a fresh group on its next report.
    const groupSizes = new Map<string, number>();
    for (const entry of tracker.list()) groupSizes.set(entry.groupId, (groupSizes.get(entry.groupId) ?? 0) + 1);
    const duplicated = new Set([...groupSizes].filter(([, size]) => size > 1).map(([groupId]) => groupId));
    if (duplicated.size > 0) {
      await report(tracker.removeWhere((entry) => duplicated.has(entry.groupId)), 'duplicate-group', repaired);
    }

    const tabIds = [...new Set(tracker.list().map((entry) => entry.tabId))];
    for (const tabId of await tabsGone(tabIds)) {
      await report(tracker.endTab(tabId), 'closed-tab', repaired);
    }

    const oldestAllowed = now() - options.staleMs();
    await report(
      tracker.removeWhere((entry) => entry.lastReportAt < oldestAllowed),
      'stale',
      repaired,
    );

    await report(tracker.enforceLimits(), 'over-cap', repaired);

    for (const kind of REPAIR_KINDS) totals[kind] += repaired[kind];
    last = { at: now(), repaired };
    return last;
  }

  return {
    run() {
      running ??= runOnce().finally(() => {
        running = null;
      });
      return running;
    },
    lastReport() {
      return last;
    },
    totals() {
      return { ...totals };
    },
    noteRepaired(kind, count) {
      if (!(count > 0)) return;
      if ((REPAIR_KINDS as readonly string[]).includes(kind)) {
        totals[kind as RepairKind] += count;
        return;
      }
      if (!external.has(kind) && external.size >= MAX_EXTERNAL_KINDS) return;
      external.set(kind, (external.get(kind) ?? 0) + count);
    },
    health() {
      return { lastRunAt: last?.at ?? null, repaired: { ...Object.fromEntries(external), ...totals } };
    },
  };
}

/**
 * Builds `tabExists` over `browser.tabs`: a missing tab makes `tabs.get` reject in browsers
 * (and resolve `undefined` in some fakes); both mean "gone".
 */
export function tabExistsVia(tabs: { get(tabId: number): Promise<unknown> }): (tabId: number) => Promise<boolean> {
  return (tabId) =>
    tabs.get(tabId).then(
      (tab) => tab !== undefined && tab !== null,
      () => false,
    );
}
