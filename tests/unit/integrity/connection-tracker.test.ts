import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import {
  createConnectionTracker,
  randomGroupId,
  TRACKER_STORAGE_KEY,
  type ConnectionTrackerOptions,
  type ConnectionUpdate,
  type TrackedConnection,
} from '../../../utils/integrity/connection-tracker';
import { createMemoryArea } from './memory-area';
import { trackedConnection as stored } from './tracked-connection';

function update(tabId: number, pcId: string, overrides: Partial<ConnectionUpdate> = {}): ConnectionUpdate {
  return {
    tabId,
    frameId: 0,
    pcId,
    origin: 'https://teams.microsoft.com',
    platform: 'teams',
    state: 'connected',
    ...overrides,
  };
}

function setup(overrides: Partial<ConnectionTrackerOptions> = {}, initial: Record<string, unknown> = {}) {
  const memory = createMemoryArea(initial);
  const drops = createDropCounter();
  const limits = { maxConnectionsPerTab: 20, maxConnectionsTotal: 200 };
  let next = 0;
  const tracker = createConnectionTracker({
    area: memory.area,
    limits: () => limits,
    drops,
    now: () => Date.now(),
    newGroupId: () => `g${++next}`,
    ...overrides,
  });
  return { tracker, memory, drops, limits };
}

describe('connection tracker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(10_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates an entry with a new group id on the first report and keeps it on later ones', () => {
    const { tracker } = setup();
    const first = tracker.upsert(update(1, 'pc1', { state: 'connecting' }));
    vi.advanceTimersByTime(2_000);
    const second = tracker.upsert(update(1, 'pc1', { state: 'connected' }));
    expect(first).toMatchObject({ isNew: true, evicted: [], entry: { groupId: 'g1', startedAt: 10_000 } });
    expect(first?.entry.connectedAt).toBeUndefined();
    expect(second?.isNew).toBe(false);
    expect(second?.entry).toMatchObject({ groupId: 'g1', state: 'connected', startedAt: 10_000, lastReportAt: 12_000, connectedAt: 12_000 });
  });

  it('keys connections by tab, frame and hook id', () => {
    const { tracker } = setup();
    const ids = [
      tracker.upsert(update(1, 'pc1')),
      tracker.upsert(update(1, 'pc1', { frameId: 3 })),
      tracker.upsert(update(2, 'pc1')),
    ].map((result) => result?.entry.groupId);
    expect(new Set(ids).size).toBe(3);
    expect(tracker.get(1, 3, 'pc1')?.groupId).toBe(ids[1]);
  });

  it('gives every new connection a fresh group id even when the generator repeats itself', () => {
    const repeats = ['same', 'same', 'other'];
    const { tracker } = setup({ newGroupId: () => repeats.shift() ?? 'x' });
    tracker.upsert(update(1, 'a'));
    expect(tracker.upsert(update(1, 'b'))!.entry.groupId).toBe('other');
  });

  it('makes random group ids of 12 base-36 characters', () => {
    const ids = new Set(Array.from({ length: 50 }, randomGroupId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{12}$/);
  });

  it('rejects an invalid update with a clear error and changes nothing', () => {
    const { tracker } = setup();
    tracker.upsert(update(1, 'pc1'));
    expect(() => tracker.upsert(update(-1, 'pc2'))).toThrow(/invalid update: tabId/);
    expect(() => tracker.upsert(update(1, ''))).toThrow(/pcId/);
    expect(tracker.list()).toHaveLength(1);
  });

  describe('caps', () => {
    /** A report of a connection that never connected: the kind a cap may evict. */
    const idle = (tabId: number, pcId: string, overrides: Partial<ConnectionUpdate> = {}) => update(tabId, pcId, { state: 'new', ...overrides });

    it.each([
      {
        name: 'a never-connected connection goes before a connected one, even a more recent one',
        perTab: 2,
        total: 10,
        steps: [update(1, 'call'), idle(1, 'idle'), idle(1, 'next')],
        evicted: ['1:idle'],
        reason: 'tracker-evicted-tab-cap',
        left: ['1:call', '1:next'],
      },
      {
        name: 'the total cap also takes never-connected connections first, from any tab',
        perTab: 10,
        total: 2,
        steps: [idle(1, 'a'), update(2, 'call'), idle(3, 'p')],
        evicted: ['1:a'],
        reason: 'tracker-evicted-total-cap',
        left: ['2:call', '3:p'],
      },
      {
        name: 'per-tab cap evicts that tab’s least recently updated connection',
        perTab: 2,
        total: 10,
        steps: [idle(1, 'a'), idle(2, 'x'), idle(1, 'b'), idle(1, 'a'), idle(1, 'c')],
        evicted: ['1:b'],
        reason: 'tracker-evicted-tab-cap',
        left: ['1:a', '2:x', '1:c'],
      },
      {
        name: 'per-tab cap leaves other tabs alone',
        perTab: 1,
        total: 10,
        steps: [idle(1, 'a'), idle(2, 'x'), idle(2, 'y')],
        evicted: ['2:x'],
        reason: 'tracker-evicted-tab-cap',
        left: ['1:a', '2:y'],
      },
      {
        name: 'total cap evicts the globally least recently updated connection',
        perTab: 10,
        total: 3,
        steps: [idle(1, 'a'), idle(2, 'x'), idle(3, 'p'), idle(1, 'a'), idle(4, 'q')],
        evicted: ['2:x'],
        reason: 'tracker-evicted-total-cap',
        left: ['1:a', '3:p', '4:q'],
      },
      {
        name: 'updating a known connection never evicts',
        perTab: 1,
        total: 1,
        steps: [update(1, 'a'), update(1, 'a', { state: 'disconnected' }), update(1, 'a')],
        evicted: [],
        reason: null,
        left: ['1:a'],
      },
    ])('$name', ({ perTab, total, steps, evicted, reason, left }) => {
      const { tracker, drops, limits } = setup();
      limits.maxConnectionsPerTab = perTab;
      limits.maxConnectionsTotal = total;
      const allEvicted: TrackedConnection[] = [];
      for (const step of steps) {
        allEvicted.push(...tracker.upsert(step)!.evicted);
        vi.advanceTimersByTime(1_000);
      }
      const label = (entry: TrackedConnection) => `${entry.tabId}:${entry.pcId}`;
      expect(allEvicted.map(label)).toEqual(evicted);
      expect(tracker.list().map(label).sort()).toEqual([...left].sort());
      expect(drops.snapshot()).toEqual(reason ? { [reason]: evicted.length } : {});
    });

    it.each([
      ['the tab', { maxConnectionsPerTab: 2, maxConnectionsTotal: 200 }, [update(1, 'a'), update(1, 'b')], 'tracker-refused-tab-full'],
      ['the browser', { maxConnectionsPerTab: 20, maxConnectionsTotal: 2 }, [update(2, 'a'), update(3, 'b')], 'tracker-refused-total-full'],
    ])('refuses a new connection, counted, when only connected calls fill %s: invented ids never displace a call', (_name, caps, calls, reason) => {
      const { tracker, drops, limits } = setup();
      Object.assign(limits, caps);
      for (const call of calls) tracker.upsert(call);
      for (let i = 0; i < 50; i++) expect(tracker.upsert(update(1, `forged-${i}`))).toBeNull();
      expect(tracker.list().map((entry) => entry.pcId)).toEqual(['a', 'b']);
      expect(drops.snapshot()).toEqual({ [reason]: 50 });
      // A connected call ends: the next newcomer gets its place.
      tracker.end(calls[0]!.tabId, 0, 'a');
      expect(tracker.upsert(update(1, 'next'))?.isNew).toBe(true);
    });

    it('returns evicted entries with their group ids, so their groups can be deleted', () => {
      const { tracker, limits } = setup();
      limits.maxConnectionsTotal = 1;
      const first = tracker.upsert(update(1, 'a', { state: 'connecting' }))!.entry;
      vi.advanceTimersByTime(1);
      expect(tracker.upsert(update(2, 'b'))!.evicted).toEqual([first]);
    });

    it('applies lowered caps when asked to enforce them', () => {
      const { tracker, limits, drops } = setup();
      for (const pc of ['a', 'b', 'c']) {
        tracker.upsert(update(1, pc));
        vi.advanceTimersByTime(1);
      }
      tracker.upsert(update(2, 'x'));
      limits.maxConnectionsPerTab = 2;
      limits.maxConnectionsTotal = 2;
      expect(tracker.enforceLimits().map((entry) => entry.pcId)).toEqual(['a', 'b']);
      expect(tracker.list().map((entry) => entry.pcId).sort()).toEqual(['c', 'x']);
      expect(drops.snapshot()).toEqual({ 'tracker-evicted-tab-cap': 1, 'tracker-evicted-total-cap': 1 });
      expect(tracker.stats()).toMatchObject({ evictedTabCap: 1, evictedTotalCap: 1 });
    });
  });

  describe('ending', () => {
    function threeTabs() {
      const s = setup();
      s.tracker.upsert(update(1, 'a'));
      s.tracker.upsert(update(1, 'b', { frameId: 5 }));
      s.tracker.upsert(update(1, 'c', { frameId: 5 }));
      s.tracker.upsert(update(2, 'x'));
      return s;
    }

    it.each([
      ['one connection', (t: ReturnType<typeof setup>['tracker']) => t.end(1, 5, 'b'), ['b'], ['a', 'c', 'x']],
      ['an unknown connection', (t: ReturnType<typeof setup>['tracker']) => t.end(1, 0, 'zz'), [], ['a', 'b', 'c', 'x']],
      ['a frame', (t: ReturnType<typeof setup>['tracker']) => t.endFrame(1, 5), ['b', 'c'], ['a', 'x']],
      ['a tab', (t: ReturnType<typeof setup>['tracker']) => t.endTab(1), ['a', 'b', 'c'], ['x']],
      ['an unknown tab', (t: ReturnType<typeof setup>['tracker']) => t.endTab(9), [], ['a', 'b', 'c', 'x']],
    ])('ends %s and returns what it removed', (_name, end, removed, left) => {
      const { tracker } = threeTabs();
      expect(
        end(tracker)
          .map((entry) => entry.pcId)
          .sort(),
      ).toEqual(removed);
      expect(
        tracker
          .list()
          .map((entry) => entry.pcId)
          .sort(),
      ).toEqual(left);
    });

    it('gives a connection that reports again after ending a new group', () => {
      const { tracker } = setup();
      const before = tracker.upsert(update(1, 'a'))!.entry.groupId;
      tracker.end(1, 0, 'a');
      expect(tracker.upsert(update(1, 'a'))!.entry.groupId).not.toBe(before);
    });
  });

  describe('derived figures', () => {
    it('computes counts per origin and tab from the entries, so they follow every change', () => {
      const { tracker } = setup();
      tracker.upsert(update(1, 'a'));
      tracker.upsert(update(1, 'b'));
      tracker.upsert(update(2, 'c', { origin: 'https://meet.google.com', platform: 'meet' }));
      tracker.upsert(update(3, 'd', { origin: '__proto__' }));
      expect(tracker.countsByOrigin()).toEqual({
        'https://teams.microsoft.com': 2,
        'https://meet.google.com': 1,
        ['__proto__']: 1,
      });
      expect(Object.getPrototypeOf(tracker.countsByOrigin())).toBe(Object.prototype);
      expect([tracker.countForTab(1), tracker.countForTab(2), tracker.countForTab(9)]).toEqual([2, 1, 0]);
      expect(tracker.tabCount()).toBe(3);
      expect(tracker.tabIds().sort()).toEqual([1, 2, 3]);

      tracker.endTab(1);
      tracker.endTab(3);
      expect(tracker.countsByOrigin()).toEqual({ 'https://meet.google.com': 1 });
      expect(tracker.tabCount()).toBe(1);
      expect(tracker.tabIds()).toEqual([2]);
      expect(tracker.forTab(2).map((entry) => entry.pcId)).toEqual(['c']);
      expect(tracker.forTab(1)).toEqual([]);
    });
  });

  describe('persistence', () => {
    it('saves a new connection shortly after it appears, in one key', async () => {
      const { tracker, memory } = setup();
      tracker.upsert(update(1, 'a'));
      expect(memory.data.has(TRACKER_STORAGE_KEY)).toBe(false);
      await vi.advanceTimersByTimeAsync(500);
      expect(memory.data.get(TRACKER_STORAGE_KEY)).toEqual({
        version: 1,
        entries: [expect.objectContaining({ groupId: 'g1', pcId: 'a' })],
      });
    });

    it('coalesces many report-time updates into one lazy write', async () => {
      const { tracker, memory } = setup();
      tracker.upsert(update(1, 'a'));
      await tracker.flush();
      const writesBefore = memory.writes();
      for (let i = 0; i < 20; i++) {
        tracker.upsert(update(1, 'a'));
        await vi.advanceTimersByTimeAsync(100);
      }
      expect(memory.writes()).toBe(writesBefore);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(memory.writes()).toBe(writesBefore + 1);
    });

    it('brings a pending lazy write forward when a connection appears', async () => {
      const { tracker, memory } = setup();
      tracker.upsert(update(1, 'a'));
      await tracker.flush();
      tracker.upsert(update(1, 'a'));
      tracker.upsert(update(1, 'b'));
      await vi.advanceTimersByTimeAsync(500);
      expect((memory.data.get(TRACKER_STORAGE_KEY) as { entries: unknown[] }).entries).toHaveLength(2);
    });

    it('round-trips through storage: group ids stay stable across a restart', async () => {
      const first = setup();
      first.tracker.upsert(update(1, 'a'));
      first.tracker.upsert(update(2, 'b', { frameId: 4, state: 'failed' }));
      await first.tracker.flush();

      const second = setup({}, Object.fromEntries(first.memory.data));
      expect(await second.tracker.restore()).toEqual({ restored: 2, invalid: [] });
      expect(second.tracker.list()).toEqual(first.tracker.list());
      expect(second.tracker.upsert(update(2, 'b', { frameId: 4 }))!.entry.groupId).toBe(
        first.tracker.get(2, 4, 'b')?.groupId,
      );
      expect(second.tracker.countForTab(2)).toBe(1);
    });

    it('restores nothing, and reports nothing invalid, when nothing was saved', async () => {
      const { tracker } = setup();
      expect(await tracker.restore()).toEqual({ restored: 0, invalid: [] });
    });

    it.each([
      {
        name: 'wrong types',
        entries: [stored('ok'), stored('bad1', { tabId: 'one' as unknown as number })],
        restored: ['ok'],
        invalid: [{ groupId: 'bad1', reason: expect.stringMatching(/tabId/) }],
      },
      {
        name: 'a truncated entry',
        entries: [{ groupId: 'cut', tabId: 1, frameId: 0 }, stored('ok')],
        restored: ['ok'],
        invalid: [{ groupId: 'cut', reason: expect.stringMatching(/pcId/) }],
      },
      {
        name: 'an unreadable group id',
        entries: [stored('ok'), { ...stored('x'), groupId: '../../admin' }],
        restored: ['ok'],
        invalid: [{ groupId: null, reason: expect.stringMatching(/groupId/) }],
      },
      {
        name: 'an unknown state',
        entries: [stored('s', { state: 'exploded' as TrackedConnection['state'] })],
        restored: [],
        invalid: [{ groupId: 's', reason: expect.stringMatching(/state/) }],
      },
      {
        name: 'times out of order',
        entries: [stored('t', { startedAt: 5_000, lastReportAt: 1_000 })],
        restored: [],
        invalid: [{ groupId: 't', reason: expect.stringMatching(/lastReportAt/) }],
      },
      {
        name: 'non-objects in the list',
        entries: [null, 42, 'text', stored('ok')],
        restored: ['ok'],
        invalid: [
          { groupId: null, reason: expect.any(String) },
          { groupId: null, reason: expect.any(String) },
          { groupId: null, reason: expect.any(String) },
        ],
      },
    ])('keeps the valid entries and reports the rest when stored entries have $name', async ({ entries, restored, invalid }) => {
      const { tracker } = setup({}, { [TRACKER_STORAGE_KEY]: { version: 1, entries } });
      const result = await tracker.restore();
      expect(result.invalid).toEqual(invalid);
      expect(result.restored).toBe(restored.length);
      expect(tracker.list().map((entry) => entry.groupId)).toEqual(restored);
      expect(tracker.takeInvalid()).toEqual(invalid);
      expect(tracker.takeInvalid()).toEqual([]);
    });

    it('salvages the group ids of a stored tracker of an unknown version, so their groups can be deleted', async () => {
      const { tracker } = setup({}, { [TRACKER_STORAGE_KEY]: { version: 99, entries: [stored('a'), { groupId: 'b' }, 'junk'] } });
      const result = await tracker.restore();
      expect(result.restored).toBe(0);
      expect(tracker.list()).toEqual([]);
      expect(result.invalid).toEqual([
        { groupId: 'a', reason: expect.stringMatching(/stored tracker: version/) },
        { groupId: 'b', reason: expect.stringMatching(/stored tracker: version/) },
      ]);
    });

    it.each([
      ['a wrong version and no readable group id', { version: 99, entries: ['junk', { groupId: '../x' }] }],
      ['no entries list', { version: 1 }],
      ['a number', 17],
      ['truncated JSON text', '{"version":1,"entries":[{"groupId":"a'],
    ])('reports the whole stored tracker as invalid when it has %s', async (_name, value) => {
      const { tracker } = setup({}, { [TRACKER_STORAGE_KEY]: value });
      const result = await tracker.restore();
      expect(result.restored).toBe(0);
      expect(result.invalid).toEqual([{ groupId: null, reason: expect.stringMatching(/stored tracker/) }]);
    });

    it('drops unknown fields of a stored entry and keeps the entry', async () => {
      const { tracker } = setup({}, { [TRACKER_STORAGE_KEY]: { version: 1, entries: [{ ...stored('a'), extra: 'x' }] } });
      expect((await tracker.restore()).restored).toBe(1);
      expect(tracker.list()[0]).toEqual(stored('a'));
    });

    it('rewrites storage after a restore that found invalid entries, so they do not come back', async () => {
      const { tracker, memory } = setup({}, { [TRACKER_STORAGE_KEY]: { version: 1, entries: [stored('a'), { junk: true }] } });
      await tracker.restore();
      await vi.advanceTimersByTimeAsync(500);
      expect(memory.data.get(TRACKER_STORAGE_KEY)).toEqual({ version: 1, entries: [stored('a')] });
    });

    it('reports a stored entry as an orphan when the same connection already reported with a new group', async () => {
      const { tracker } = setup({}, { [TRACKER_STORAGE_KEY]: { version: 1, entries: [stored('old', { pcId: 'a' })] } });
      tracker.upsert(update(1, 'a', { frameId: 0 }));
      const result = await tracker.restore();
      expect(result).toEqual({ restored: 0, invalid: [{ groupId: 'old', reason: 'superseded by a live entry' }] });
      expect(tracker.get(1, 0, 'a')?.groupId).toBe('g1');
    });

    it('keeps changes pending when a write fails, and saves them on the next flush', async () => {
      const onPersistError = vi.fn();
      const { tracker, memory } = setup({ onPersistError });
      tracker.upsert(update(1, 'a'));
      memory.fail(new Error('quota exceeded'));
      expect(await tracker.flush()).toBe(false);
      expect(tracker.stats().persistError).toBe('quota exceeded');
      expect(onPersistError).toHaveBeenCalledTimes(1);
      memory.fail(null);
      expect(await tracker.flush()).toBe(true);
      expect(tracker.stats().persistError).toBeNull();
      expect((memory.data.get(TRACKER_STORAGE_KEY) as { entries: unknown[] }).entries).toHaveLength(1);
    });

    it('never lets an older snapshot overwrite a newer one, even when storage answers out of order', async () => {
      const saved = new Map<string, unknown>();
      const releases: Array<() => void> = [];
      // Each write lands only when released; the test releases the newer one first.
      const area = {
        get: async () => undefined,
        remove: async () => {},
        set: (items: Record<string, unknown>) =>
          new Promise<void>((resolve) => {
            releases.push(() => {
              for (const [key, value] of Object.entries(items)) saved.set(key, structuredClone(value));
              resolve();
            });
          }),
      };
      const { tracker } = setup({ area });
      tracker.upsert(update(1, 'a'));
      const first = tracker.flush();
      await vi.advanceTimersByTimeAsync(0);
      tracker.upsert(update(1, 'b'));
      const second = tracker.flush();
      await vi.advanceTimersByTimeAsync(0);
      expect(releases).toHaveLength(1);
      releases[0]?.();
      await first;
      await vi.advanceTimersByTimeAsync(0);
      releases[1]?.();
      await second;
      expect((saved.get(TRACKER_STORAGE_KEY) as { entries: unknown[] }).entries).toHaveLength(2);
    });

    it('leaves no timer behind after dispose', () => {
      const { tracker } = setup();
      tracker.upsert(update(1, 'a'));
      expect(vi.getTimerCount()).toBe(1);
      tracker.dispose();
      expect(vi.getTimerCount()).toBe(0);
      tracker.upsert(update(1, 'b'));
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
