import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import {
  createConnectionTracker,
  TRACKER_STORAGE_KEY,
  type ConnectionUpdate,
  type TrackedConnection,
} from '../../../utils/integrity/connection-tracker';
import {
  createIntegrityChecker,
  type IntegrityCheckerOptions,
  type RemovedConnection,
  type RepairKind,
  tabExistsVia,
} from '../../../utils/integrity/data-integrity-manager';
import { createMemoryArea } from './memory-area';
import { trackedConnection } from './tracked-connection';

function update(tabId: number, pcId: string): ConnectionUpdate {
  return { tabId, frameId: 0, pcId, origin: 'https://meet.google.com', platform: 'meet', state: 'connected' };
}

/** A stored entry reported just now, so the stale check leaves it alone. */
function stored(groupId: string, overrides: Partial<TrackedConnection> = {}): TrackedConnection {
  return trackedConnection(groupId, { startedAt: 0, lastReportAt: Date.now(), ...overrides });
}

function setup(initial: Record<string, unknown> = {}, overrides: Partial<IntegrityCheckerOptions> = {}) {
  const memory = createMemoryArea(initial);
  const limits = { maxConnectionsPerTab: 20, maxConnectionsTotal: 200 };
  let next = 0;
  const tracker = createConnectionTracker({
    area: memory.area,
    limits: () => limits,
    drops: createDropCounter(),
    newGroupId: () => `new${++next}`,
  });
  const openTabs = new Set<number>([1, 2, 3]);
  const removed: Array<{ reason: RepairKind; entries: RemovedConnection[] }> = [];
  const checker = createIntegrityChecker({
    tracker,
    tabExists: async (tabId) => openTabs.has(tabId),
    staleMs: () => 60_000,
    onRemoved: (entries, reason) => void removed.push({ reason, entries }),
    ...overrides,
  });
  return { tracker, checker, openTabs, removed, limits };
}

const zero = { 'invalid-entry': 0, 'duplicate-group': 0, 'closed-tab': 0, stale: 0, 'over-cap': 0 };

describe('data integrity manager', () => {
  beforeEach(() => {
    fakeBrowser.reset();
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('finds nothing to repair in a healthy tracker', async () => {
    const { tracker, checker, removed } = setup();
    tracker.upsert(update(1, 'a'));
    tracker.upsert(update(2, 'b'));
    expect(await checker.run()).toEqual({ at: 1_000_000, repaired: zero });
    expect(removed).toEqual([]);
    expect(tracker.size()).toBe(2);
  });

  it('removes the connections of tabs that no longer exist and hands them over for deletion', async () => {
    const { tracker, checker, openTabs, removed } = setup();
    tracker.upsert(update(1, 'a'));
    tracker.upsert(update(2, 'b'));
    tracker.upsert(update(2, 'c'));
    openTabs.delete(2);
    const report = await checker.run();
    expect(report.repaired['closed-tab']).toBe(2);
    expect(removed).toEqual([
      { reason: 'closed-tab', entries: [expect.objectContaining({ pcId: 'b' }), expect.objectContaining({ pcId: 'c' })] },
    ]);
    expect(tracker.list().map((entry) => entry.pcId)).toEqual(['a']);
  });

  it('works with the browser’s tabs API as the source of truth', async () => {
    const tab = await fakeBrowser.tabs.create({ url: 'https://meet.google.com/abc' });
    const { tracker } = setup();
    const checker = createIntegrityChecker({
      tracker,
      tabExists: tabExistsVia(fakeBrowser.tabs),
      staleMs: () => 60_000,
      onRemoved: () => {},
    });
    tracker.upsert(update(tab.id!, 'live'));
    tracker.upsert(update(tab.id! + 100, 'gone'));
    expect((await checker.run()).repaired['closed-tab']).toBe(1);
    expect(tracker.list().map((entry) => entry.pcId)).toEqual(['live']);
  });

  it.each([
    ['resolves a tab', () => Promise.resolve({ id: 1 }), true],
    ['resolves nothing', () => Promise.resolve(undefined), false],
    ['rejects', () => Promise.reject(new Error('No tab with id: 1')), false],
  ])('reads a tab as existing over the tabs API only when get %s', async (_name, get, exists) => {
    expect(await tabExistsVia({ get })(1)).toBe(exists);
  });

  it('keeps a tab’s connections when asking whether the tab exists fails', async () => {
    const onError = vi.fn();
    const { tracker, checker } = setup({}, { tabExists: () => Promise.reject(new Error('tabs API gone')), onError });
    tracker.upsert(update(1, 'a'));
    expect((await checker.run()).repaired['closed-tab']).toBe(0);
    expect(tracker.size()).toBe(1);
    expect(onError).toHaveBeenCalledWith(expect.any(Error), 'tabExists(1)');
  });

  it.each([
    { silentFor: 59_999, removed: 0 },
    { silentFor: 60_000, removed: 0 },
    { silentFor: 60_001, removed: 1 },
  ])('removes a connection silent for $silentFor ms when stale means 60 s: $removed', async ({ silentFor, removed }) => {
    const { tracker, checker } = setup();
    tracker.upsert(update(1, 'quiet'));
    vi.advanceTimersByTime(silentFor);
    tracker.upsert(update(1, 'chatty'));
    const report = await checker.run();
    expect(report.repaired.stale).toBe(removed);
    expect(tracker.get(1, 0, 'quiet') === undefined).toBe(removed === 1);
    expect(tracker.get(1, 0, 'chatty')).toBeDefined();
  });

  it('reads the stale threshold live', async () => {
    let staleMs = 60_000;
    const { tracker, checker } = setup({}, { staleMs: () => staleMs });
    tracker.upsert(update(1, 'a'));
    vi.advanceTimersByTime(10_000);
    expect((await checker.run()).repaired.stale).toBe(0);
    staleMs = 5_000;
    expect((await checker.run()).repaired.stale).toBe(1);
  });

  it('hands over the group ids of stored entries that failed validation, and counts every such entry', async () => {
    const { tracker, checker, removed } = setup({
      [TRACKER_STORAGE_KEY]: {
        version: 1,
        entries: [stored('good'), { ...stored('broken'), tabId: 'x' }, { pcId: 'no-group' }, { ...stored('good'), state: 9 }],
      },
    });
    await tracker.restore();
    const report = await checker.run();
    expect(report.repaired['invalid-entry']).toBe(3);
    // 'good' is still used by a valid entry, so its group must not be deleted.
    expect(removed).toEqual([{ reason: 'invalid-entry', entries: [{ groupId: 'broken' }] }]);
    expect((await checker.run()).repaired['invalid-entry']).toBe(0);
  });

  it('removes every connection of a group id used twice, so each gets a group of its own again', async () => {
    const { tracker, checker, removed } = setup({
      [TRACKER_STORAGE_KEY]: {
        version: 1,
        entries: [stored('dup', { pcId: 'a' }), stored('dup', { pcId: 'b', tabId: 2 }), stored('solo', { pcId: 'c' })],
      },
    });
    await tracker.restore();
    const report = await checker.run();
    expect(report.repaired['duplicate-group']).toBe(2);
    expect(removed).toEqual([
      { reason: 'duplicate-group', entries: [expect.objectContaining({ pcId: 'a' }), expect.objectContaining({ pcId: 'b' })] },
    ]);
    expect(tracker.list().map((entry) => entry.groupId)).toEqual(['solo']);
    expect(tracker.upsert(update(1, 'a'))!.entry.groupId).toBe('new1');
  });

  it('evicts connections past caps that were lowered', async () => {
    const { tracker, checker, limits, removed } = setup();
    for (const pc of ['a', 'b', 'c']) {
      tracker.upsert(update(1, pc));
      vi.advanceTimersByTime(1);
    }
    limits.maxConnectionsPerTab = 1;
    expect((await checker.run()).repaired['over-cap']).toBe(2);
    expect(removed[0]?.entries.map((entry) => entry.pcId)).toEqual(['a', 'b']);
  });

  it('keeps the last report and cumulative counts for health', async () => {
    const { tracker, checker, openTabs } = setup();
    expect(checker.health()).toEqual({ lastRunAt: null, repaired: zero });
    tracker.upsert(update(1, 'a'));
    tracker.upsert(update(2, 'b'));
    openTabs.delete(1);
    await checker.run();
    vi.advanceTimersByTime(70_000);
    await checker.run();
    expect(checker.lastReport()).toEqual({ at: 1_070_000, repaired: { ...zero, stale: 1 } });
    expect(checker.totals()).toEqual({ ...zero, 'closed-tab': 1, stale: 1 });
    expect(checker.health()).toEqual({ lastRunAt: 1_070_000, repaired: { ...zero, 'closed-tab': 1, stale: 1 } });
  });

  it('adds repairs made elsewhere (e.g. unreadable outbox entries) to the health counts, with a cap on their kinds', () => {
    const { checker } = setup();
    checker.noteRepaired('outbox-entry', 2);
    checker.noteRepaired('outbox-entry', 1);
    checker.noteRepaired('delivery-stats', 0);
    checker.noteRepaired('stale', 1);
    for (let kind = 0; kind < 40; kind++) checker.noteRepaired(`kind-${kind}`, 1);
    const repaired = checker.health().repaired;
    expect(repaired).toMatchObject({ ...zero, stale: 1, 'outbox-entry': 3 });
    expect(repaired).not.toHaveProperty('delivery-stats');
    expect(Object.keys(repaired)).toHaveLength(Object.keys(zero).length + 16);
    expect(checker.totals()).toEqual({ ...zero, stale: 1 });
  });

  it('goes on with the other checks when the caller’s onRemoved throws', async () => {
    const onError = vi.fn();
    const { tracker, checker, openTabs } = setup(
      {},
      {
        onError,
        onRemoved: () => {
          throw new Error('outbox full');
        },
      },
    );
    tracker.upsert(update(1, 'a'));
    vi.advanceTimersByTime(61_000);
    tracker.upsert(update(2, 'b'));
    openTabs.delete(2);
    const report = await checker.run();
    expect(report.repaired).toMatchObject({ 'closed-tab': 1, stale: 1 });
    expect(tracker.size()).toBe(0);
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it('shares one run between concurrent calls', async () => {
    const tabExists = vi.fn(async () => true);
    const { tracker, checker } = setup({}, { tabExists });
    tracker.upsert(update(1, 'a'));
    const [first, second] = await Promise.all([checker.run(), checker.run()]);
    expect(first).toBe(second);
    expect(tabExists).toHaveBeenCalledTimes(1);
    await checker.run();
    expect(tabExists).toHaveBeenCalledTimes(2);
  });
});
