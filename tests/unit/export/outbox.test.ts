import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createOutbox,
  OUTBOX_DELETES_STORAGE_KEY,
  OUTBOX_DROPS,
  OUTBOX_STORAGE_KEY,
  utf8Length,
  type OutboxLimits,
} from '@/utils/export/outbox';
import { createDropCounter, type DropCounter } from '@/utils/resilience/drop-counter';
import { createMapArea } from './helpers';

const key = (pc: string) => ({ peerConnectionId: pc });

describe('outbox', () => {
  let area: ReturnType<typeof createMapArea>;
  let drops: DropCounter;
  let limits: OutboxLimits;

  beforeEach(() => {
    vi.useFakeTimers();
    area = createMapArea();
    drops = createDropCounter();
    limits = { maxGroups: 100, maxBytes: 1_000_000 };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = () => createOutbox({ area, limits: () => limits, drops, now: Date.now });

  it('coalesces ten snapshots of a group into one item with the last body, without counting drops', () => {
    const outbox = make();
    for (let i = 1; i <= 10; i += 1) outbox.put('g1', key('pc1'), `m ${i}\n`);
    const items = outbox.take();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ groupId: 'g1', kind: 'push', body: 'm 10\n', groupingKey: key('pc1') });
    expect(drops.total()).toBe(0);
  });

  it('keeps a snapshot that arrived while the older one was in flight dirty after the ack', () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'old\n');
    const [inFlight] = outbox.take();
    outbox.put('g1', key('pc1'), 'new\n');
    expect(outbox.take()).toEqual([]);
    outbox.ack('g1', inFlight!.version);
    const [next] = outbox.take();
    expect(next?.body).toBe('new\n');
    outbox.ack('g1', next!.version);
    expect(outbox.take()).toEqual([]);
    expect(outbox.stats().groups).toBe(0);
  });

  it('holds a delete back until the push in flight for its group is settled', () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'state\n');
    const [push] = outbox.take();
    outbox.remove('g1', key('pc1'));
    expect(outbox.take()).toEqual([]);
    outbox.ack('g1', push!.version);
    const [deletion] = outbox.take();
    expect(deletion).toMatchObject({ groupId: 'g1', kind: 'delete', groupingKey: key('pc1') });
    outbox.ack('g1', deletion!.version);
    expect(outbox.stats()).toMatchObject({ groups: 0, pendingDeletes: 0 });
  });

  it.each([
    ['bound to an earlier gateway', 'g1@old', { url: 'http://old:9091', job: 'webrtc', credentialsRef: 'r1' }],
    ['under the key the group no longer uses', 'g1~old', undefined],
  ])('holds a delete %s (an outbox id of its own) back while a request under its grouping key is in flight', (_case, id, target) => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'state\n');
    const [push] = outbox.take();
    outbox.remove(id, key('pc1'), target);
    outbox.put('g2', key('pc2'), 'other\n');
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['g2']);
    expect(outbox.take().map((item) => item.groupId)).toEqual(['g2']);
    outbox.ack('g1', push!.version);
    expect(outbox.take()).toEqual([expect.objectContaining({ groupId: id, kind: 'delete', groupingKey: key('pc1') })]);
  });

  it('does not hold a push back for a delete in flight under the same key elsewhere (an old gateway that does not answer)', () => {
    const outbox = make();
    outbox.remove('g1@old', key('pc1'), { url: 'http://old:9091', job: 'webrtc', credentialsRef: 'r1' });
    const [deletion] = outbox.take();
    outbox.put('g1', key('pc1'), 'state\n');
    expect(outbox.take()).toEqual([expect.objectContaining({ groupId: 'g1', kind: 'push' })]);
    outbox.fail('g1@old', deletion!.version);
    expect(outbox.stats()).toMatchObject({ inFlight: 1, pendingDeletes: 1 });
  });

  it('replaces a pending snapshot with the delete, so the group is never pushed again', () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'state\n');
    outbox.remove('g1', key('pc1'));
    expect(outbox.take().map((item) => item.kind)).toEqual(['delete']);
    expect(drops.total()).toBe(0);
  });

  it('keeps a failed entry for the next flush and counts the attempt', () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'state\n');
    const [first] = outbox.take();
    outbox.fail('g1', first!.version);
    const [second] = outbox.take();
    expect(second).toMatchObject({ body: 'state\n', attempt: 1 });
  });

  it('does not hand out a rejected entry again until its next snapshot', () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'bad\n');
    const [item] = outbox.take();
    outbox.reject('g1', item!.version, 'text format parsing error');
    expect(outbox.take()).toEqual([]);
    expect(outbox.stats().rejected).toBe(1);
    outbox.put('g1', key('pc1'), 'good\n');
    expect(outbox.take()[0]?.body).toBe('good\n');
    expect(outbox.stats().rejected).toBe(0);
  });

  it('makes rejected entries sendable again on clearRejected', () => {
    const outbox = make();
    outbox.remove('g1', key('pc1'));
    const [item] = outbox.take();
    outbox.reject('g1', item!.version, 'unauthorized');
    expect(outbox.take()).toEqual([]);
    expect(outbox.clearRejected()).toBe(1);
    expect(outbox.take().map((entry) => entry.kind)).toEqual(['delete']);
  });

  it('skips the groups it is told to skip and respects the limit', () => {
    const outbox = make();
    outbox.put('a', key('a'), 'a\n');
    outbox.put('b', key('b'), 'b\n');
    outbox.put('c', key('c'), 'c\n');
    expect(outbox.take(1, new Set(['a'])).map((item) => item.groupId)).toEqual(['b']);
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['a', 'c']);
  });

  it('persists after the debounce delay and restores the same entries in a new instance', async () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'one\n');
    outbox.put('g2', { instance: 'agent/7', empty: '' }, 'two\n');
    outbox.remove('g3', key('pc3'));
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(true);

    const restored = make();
    await restored.restore();
    expect(restored.peek().map(({ groupId, kind, body, groupingKey }) => ({ groupId, kind, body, groupingKey }))).toEqual([
      { groupId: 'g1', kind: 'push', body: 'one\n', groupingKey: key('pc1') },
      { groupId: 'g2', kind: 'push', body: 'two\n', groupingKey: { instance: 'agent/7', empty: '' } },
      { groupId: 'g3', kind: 'delete', body: '', groupingKey: key('pc3') },
    ]);
    expect(restored.stats()).toMatchObject({ groups: 2, pendingDeletes: 1, bytes: 8 });
  });

  it('waits with fresh snapshots and writes within the short delay once a delete is pending', async () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'one\n');
    await vi.advanceTimersByTimeAsync(1_500);
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(false);
    outbox.remove('g2', key('pc2'));
    await vi.advanceTimersByTimeAsync(250);
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(true);
  });

  it.each([
    ['a failed push', (outbox: ReturnType<typeof createOutbox>, version: number) => outbox.fail('g1', version)],
    ['a refused push', (outbox: ReturnType<typeof createOutbox>, version: number) => outbox.reject('g1', version, '400')],
  ])('writes %s within the short delay', async (_name, settle) => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'one\n');
    const [item] = outbox.take();
    settle(outbox, item!.version);
    await vi.advanceTimersByTimeAsync(250);
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(true);
  });

  it('writes fresh snapshots after the lazy delay, and does not write the same state twice', async () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'one\n');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(true);
    const [item] = outbox.take();
    outbox.ack('g1', item!.version);
    await outbox.flush();
    const writes = area.writes();
    expect((area.data.get(OUTBOX_STORAGE_KEY) as { entries: unknown[] }).entries).toEqual([]);
    outbox.put('g1', key('pc1'), 'two\n');
    const [again] = outbox.take();
    outbox.ack('g1', again!.version);
    await vi.advanceTimersByTimeAsync(2_000);
    await outbox.flush();
    expect(area.writes()).toBe(writes);
  });

  it('writes at once on flush and stores an acknowledged group as gone', async () => {
    const outbox = make();
    outbox.put('g1', key('pc1'), 'one\n');
    await outbox.flush();
    const [item] = outbox.take();
    outbox.ack('g1', item!.version);
    await outbox.flush();
    const restored = make();
    await restored.restore();
    expect(restored.peek()).toEqual([]);
  });

  it('drops and counts corrupt entries on restore and keeps the valid ones', async () => {
    area.data.set(OUTBOX_STORAGE_KEY, {
      format: 1,
      entries: [
        { groupId: 'ok', kind: 'push', groupingKey: key('pc1'), body: 'x 1\n', updatedAt: 1, attempt: 0 },
        { groupId: 'bad-kind', kind: 'upsert', groupingKey: {}, body: '', updatedAt: 2 },
        { groupId: '', kind: 'push', groupingKey: {}, body: '', updatedAt: 3 },
        'not an object',
      ],
    });
    const outbox = make();
    await outbox.restore();
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['ok']);
    expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.corrupt]: 3 });
  });

  it('counts an unreadable stored outbox once and starts empty', async () => {
    area.data.set(OUTBOX_STORAGE_KEY, 'garbage');
    const outbox = make();
    await outbox.restore();
    expect(outbox.peek()).toEqual([]);
    expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.corrupt]: 1 });
  });

  it('lets snapshots put before the restore finished win over restored ones', async () => {
    const old = make();
    old.put('g1', key('pc1'), 'stale\n');
    old.put('g2', key('pc2'), 'only on disk\n');
    await old.flush();
    const outbox = make();
    outbox.put('g1', key('pc1'), 'fresh\n');
    await outbox.restore();
    expect(Object.fromEntries(outbox.peek().map((item) => [item.groupId, item.body]))).toEqual({
      g1: 'fresh\n',
      g2: 'only on disk\n',
    });
  });

  it('evicts the least recently updated snapshot past maxGroups, before any pending delete', () => {
    limits = { maxGroups: 3, maxBytes: 1_000_000 };
    const outbox = make();
    outbox.remove('d1', key('d1'));
    outbox.put('a', key('a'), 'a\n');
    vi.advanceTimersByTime(10);
    outbox.put('b', key('b'), 'b\n');
    outbox.put('a', key('a'), 'a2\n');
    outbox.put('c', key('c'), 'c\n');
    expect(outbox.peek().map((item) => item.groupId).sort()).toEqual(['a', 'c', 'd1']);
    expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.evicted]: 1 });
  });

  it('evicts pending deletes, oldest first, only when no snapshot is left to evict', () => {
    limits = { maxGroups: 2, maxBytes: 1_000_000 };
    const outbox = make();
    outbox.remove('d1', key('d1'));
    outbox.remove('d2', key('d2'));
    outbox.remove('d3', key('d3'));
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['d2', 'd3']);
    expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.deleteEvicted]: 1 });
  });

  it('evicts old snapshots past maxBytes and refuses a body larger than the whole budget', () => {
    limits = { maxGroups: 100, maxBytes: 10 };
    const outbox = make();
    outbox.put('a', key('a'), '12345');
    outbox.put('b', key('b'), '67890');
    outbox.put('c', key('c'), 'xyz');
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['b', 'c']);
    expect(outbox.stats().bytes).toBe(8);
    outbox.put('huge', key('huge'), 'x'.repeat(11));
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['b', 'c']);
    expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.evicted]: 1, [OUTBOX_DROPS.oversize]: 1 });
  });

  it('applies lowered limits to what it restores', async () => {
    const old = make();
    for (const id of ['a', 'b', 'c', 'd']) old.put(id, key(id), `${id}\n`);
    await old.flush();
    limits = { maxGroups: 2, maxBytes: 1_000_000 };
    const outbox = make();
    await outbox.restore();
    expect(outbox.peek().map((item) => item.groupId)).toEqual(['c', 'd']);
    expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.evicted]: 2 });
  });

  it('keeps working in memory when storage fails and reports the write error', async () => {
    const outbox = make();
    area.setFailing(true);
    outbox.put('g1', key('pc1'), 'one\n');
    await outbox.flush();
    expect(outbox.stats().persistError).toBe('storage unavailable');
    expect(outbox.peek()).toHaveLength(1);
    area.setFailing(false);
    await outbox.flush();
    expect(outbox.stats().persistError).toBeNull();
    expect(area.data.has(OUTBOX_STORAGE_KEY)).toBe(true);
  });

  describe('with a separate area for deletes (storage.local, while snapshots sit in storage.session)', () => {
    let session: ReturnType<typeof createMapArea>;
    let local: ReturnType<typeof createMapArea>;
    beforeEach(() => {
      session = createMapArea();
      local = createMapArea();
    });
    const makeSplit = () => createOutbox({ area: session, deleteArea: local, limits: () => limits, drops, now: Date.now });
    const stored = (area: ReturnType<typeof createMapArea>, storageKey: string) =>
      ((area.data.get(storageKey) as { entries: { groupId: string; kind: string }[] } | undefined)?.entries ?? []).map(
        ({ groupId, kind }) => `${kind}:${groupId}`,
      );

    it('keeps pending deletes in the delete area and snapshots in the snapshot area', async () => {
      const outbox = makeSplit();
      outbox.put('g1', key('pc1'), 'one\n');
      outbox.remove('g2', key('pc2'));
      await outbox.flush();

      expect(stored(session, OUTBOX_STORAGE_KEY)).toEqual(['push:g1']);
      expect(stored(local, OUTBOX_DELETES_STORAGE_KEY)).toEqual(['delete:g2']);
    });

    it('still has every pending delete after the snapshot area is cleared, as a browser restart clears session', async () => {
      const outbox = makeSplit();
      outbox.put('g1', key('pc1'), 'one\n');
      outbox.remove('g2', key('pc2'));
      outbox.remove('g3', key('pc3'));
      await outbox.flush();
      session.data.clear();

      const restarted = makeSplit();
      await restarted.restore();

      expect(restarted.peek().map((item) => [item.kind, item.groupId, item.groupingKey])).toEqual([
        ['delete', 'g2', key('pc2')],
        ['delete', 'g3', key('pc3')],
      ]);
    });

    it('removes a delete from the delete area once the gateway acknowledged it', async () => {
      const outbox = makeSplit();
      outbox.remove('g2', key('pc2'));
      await outbox.flush();
      const [item] = outbox.take();
      outbox.ack('g2', item!.version);
      await outbox.flush();

      expect(stored(local, OUTBOX_DELETES_STORAGE_KEY)).toEqual([]);
    });

    it('lets a stored delete win over an older stored snapshot of the same group', async () => {
      session.data.set(OUTBOX_STORAGE_KEY, {
        format: 1,
        entries: [{ groupId: 'g1', kind: 'push', groupingKey: key('pc1'), body: 'x 1\n', updatedAt: 1, attempt: 0 }],
      });
      local.data.set(OUTBOX_DELETES_STORAGE_KEY, {
        format: 1,
        entries: [{ groupId: 'g1', kind: 'delete', groupingKey: key('pc1'), body: '', updatedAt: 2, attempt: 0 }],
      });

      const outbox = makeSplit();
      await outbox.restore();

      expect(outbox.peek().map((item) => `${item.kind}:${item.groupId}`)).toEqual(['delete:g1']);
    });

    it('moves the deletes an earlier version kept with the snapshots to the delete area', async () => {
      session.data.set(OUTBOX_STORAGE_KEY, {
        format: 1,
        entries: [
          { groupId: 'g1', kind: 'push', groupingKey: key('pc1'), body: 'x 1\n', updatedAt: 1, attempt: 0 },
          { groupId: 'g2', kind: 'delete', groupingKey: key('pc2'), body: '', updatedAt: 2, attempt: 0 },
        ],
      });

      const outbox = makeSplit();
      await outbox.restore();
      await vi.advanceTimersByTimeAsync(250);

      expect(stored(local, OUTBOX_DELETES_STORAGE_KEY)).toEqual(['delete:g2']);
      expect(stored(session, OUTBOX_STORAGE_KEY)).toEqual(['push:g1']);
    });

    it('counts an unreadable delete list and keeps the snapshots', async () => {
      const outbox = makeSplit();
      outbox.put('g1', key('pc1'), 'one\n');
      await outbox.flush();
      local.data.set(OUTBOX_DELETES_STORAGE_KEY, 'garbage');

      const restarted = makeSplit();
      await restarted.restore();

      expect(restarted.peek().map((item) => item.groupId)).toEqual(['g1']);
      expect(drops.snapshot()).toEqual({ [OUTBOX_DROPS.corrupt]: 1 });
    });
  });

  it.each([
    ['ascii', 'abc', 3],
    ['two-byte', 'é', 2],
    ['three-byte', '€', 3],
    ['surrogate pair', '😀', 4],
  ])('measures %s text in UTF-8 bytes', (_name, text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
    expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  });
});
