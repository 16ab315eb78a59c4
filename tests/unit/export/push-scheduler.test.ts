import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createPushScheduler, MAX_IDENTICAL_SKIPS, type PlannedPush } from '../../../utils/export/push-scheduler';
import type { SinkMode } from '../../../utils/export/export-sink';

const KEY = { peer_connection_id: 'g1' };

/** A sink over outbox spies: `put` as the outbox sees it (group, key, body), `at` apart. */
type Spy = ReturnType<typeof vi.fn<(...args: unknown[]) => void>>;
function sinkOver(outbox: { put: Spy; remove: Spy }, mode: SinkMode = 'snapshots', at: Spy = vi.fn()) {
  return {
    mode: () => mode,
    put: (groupId: string, key: Record<string, string>, body: string, when: number) => {
      at(when);
      outbox.put(groupId, key, body);
    },
    remove: (groupId: string, key: Record<string, string>) => outbox.remove(groupId, key),
  };
}

function setup(bodies: Record<string, () => string | null>, pushIntervalMs = 10_000, mode: SinkMode = 'snapshots') {
  const outbox: { put: Spy; remove: Spy } = { put: vi.fn(), remove: vi.fn() };
  const at: Spy = vi.fn();
  const onOutboxChanged = vi.fn();
  const collect = vi.fn((groupId: string): PlannedPush | null => {
    const body = bodies[groupId]?.() ?? null;
    return body === null ? null : { groupingKey: { peer_connection_id: groupId }, body };
  });
  const scheduler = createPushScheduler({ pushIntervalMs: () => pushIntervalMs, collect, sink: sinkOver(outbox, mode, at), onOutboxChanged });
  return { scheduler, outbox, onOutboxChanged, collect, at };
}

describe('push scheduler', () => {
  beforeEach(() => {
    fakeBrowser.reset();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pushes a new group’s first snapshot at once, then once per push interval', () => {
    let n = 0;
    const { scheduler, outbox, onOutboxChanged } = setup({ g1: () => `body ${++n}\n` });
    scheduler.start();
    scheduler.add('g1', true);
    expect(outbox.put).toHaveBeenCalledTimes(1);
    expect(outbox.put).toHaveBeenLastCalledWith('g1', KEY, 'body 1\n');
    expect(onOutboxChanged).toHaveBeenCalledTimes(1);

    vi.advanceTimersByTime(9_999);
    expect(outbox.put).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(outbox.put).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(50_000);
    expect(outbox.put).toHaveBeenCalledTimes(7);
    expect(scheduler.stats()).toMatchObject({ pushed: 7, ticks: 6 });
  });

  it('does not push at once a group it learns about again after a worker restart', () => {
    const { scheduler, outbox } = setup({ g1: () => 'body\n' });
    scheduler.start();
    scheduler.add('g1', false);
    expect(outbox.put).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(outbox.put).toHaveBeenCalledTimes(1);
  });

  it('skips a body equal to the group’s previous one, and counts it', () => {
    let body = 'same\n';
    const { scheduler, outbox, onOutboxChanged } = setup({ g1: () => body });
    scheduler.start();
    scheduler.add('g1', true);
    vi.advanceTimersByTime(20_000);
    expect(outbox.put).toHaveBeenCalledTimes(1);
    expect(onOutboxChanged).toHaveBeenCalledTimes(1);
    expect(scheduler.stats().skippedIdentical).toBe(2);
    body = 'changed\n';
    vi.advanceTimersByTime(10_000);
    expect(outbox.put).toHaveBeenCalledTimes(2);
    expect(outbox.put).toHaveBeenLastCalledWith('g1', KEY, 'changed\n');
  });

  it('pushes an unchanged body again every third interval, so the gateway keeps seeing a live group', () => {
    const { scheduler, outbox } = setup({ g1: () => 'same\n' });
    scheduler.start();
    scheduler.add('g1', true);
    vi.advanceTimersByTime(60_000);
    // First snapshot at 0 s, then refreshed at 30 s and 60 s.
    expect(outbox.put).toHaveBeenCalledTimes(3);
    expect(scheduler.stats().skippedIdentical).toBe(MAX_IDENTICAL_SKIPS * 2);
  });

  it('puts nothing for a group with nothing new to say', () => {
    const { scheduler, outbox } = setup({ g1: () => null });
    scheduler.start();
    scheduler.add('g1', true);
    vi.advanceTimersByTime(20_000);
    expect(outbox.put).not.toHaveBeenCalled();
  });

  it('deletes an ended group at once and pushes it no more', () => {
    const { scheduler, outbox, onOutboxChanged, collect } = setup({ g1: () => `${Math.random()}` });
    scheduler.start();
    scheduler.add('g1', true);
    vi.advanceTimersByTime(3_000);
    scheduler.remove('g1', KEY);
    expect(outbox.remove).toHaveBeenCalledWith('g1', KEY);
    expect(onOutboxChanged).toHaveBeenCalledTimes(2);
    const calls = collect.mock.calls.length;
    vi.advanceTimersByTime(60_000);
    expect(collect.mock.calls.length).toBe(calls);
    expect(scheduler.size()).toBe(0);
  });

  it('applies a changed push interval from the next tick', () => {
    let interval = 10_000;
    const outbox: { put: Spy; remove: Spy } = { put: vi.fn(), remove: vi.fn() };
    let n = 0;
    const scheduler = createPushScheduler({
      pushIntervalMs: () => interval,
      collect: () => ({ groupingKey: KEY, body: `${++n}` }),
      sink: sinkOver(outbox),
      onOutboxChanged: () => {},
    });
    scheduler.start();
    scheduler.add('g1', false);
    interval = 30_000;
    vi.advanceTimersByTime(10_000); // the tick armed with the old interval
    expect(outbox.put).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(29_999);
    expect(outbox.put).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(outbox.put).toHaveBeenCalledTimes(2);
  });

  it('stops ticking when stopped', () => {
    const { scheduler, outbox } = setup({ g1: () => `${Math.random()}` });
    scheduler.start();
    scheduler.add('g1', false);
    scheduler.stop();
    vi.advanceTimersByTime(60_000);
    expect(outbox.put).not.toHaveBeenCalled();
  });

  describe('with a samples sink (remote-write)', () => {
    it('puts every window, identical or not, with the time it was taken', () => {
      const { scheduler, outbox, at } = setup({ g1: () => 'same\n' }, 2_000, 'samples');
      vi.setSystemTime(1_000_000);
      scheduler.start();
      scheduler.add('g1', true);
      vi.advanceTimersByTime(10_000);
      expect(outbox.put).toHaveBeenCalledTimes(6);
      expect(at.mock.calls.map(([when]) => when)).toEqual([1_000_000, 1_002_000, 1_004_000, 1_006_000, 1_008_000, 1_010_000]);
      expect(scheduler.stats().skippedIdentical).toBe(0);
    });

    it('gives an ended group its final window, then nothing', () => {
      let n = 0;
      const { scheduler, outbox } = setup({ g1: () => `w${++n}\n` }, 2_000, 'samples');
      scheduler.start();
      scheduler.add('g1', true);
      vi.advanceTimersByTime(1_000);
      scheduler.remove('g1', KEY);
      expect(outbox.put).toHaveBeenLastCalledWith('g1', { peer_connection_id: 'g1' }, 'w2\n');
      vi.advanceTimersByTime(10_000);
      expect(outbox.put).toHaveBeenCalledTimes(2);
      expect(outbox.remove).toHaveBeenCalledWith('g1', KEY);
    });
  });
});
