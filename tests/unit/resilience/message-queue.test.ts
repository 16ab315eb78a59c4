import { describe, expect, it, vi } from 'vitest';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import { createMessageQueue, type MessageQueueOptions } from '../../../utils/resilience/message-queue';

interface Item {
  key: string;
  n: number;
}

/** A processor whose items finish only when the test says so. */
function gate() {
  const pending = new Map<string, () => void>();
  const started: Item[] = [];
  const process = (item: Item) =>
    new Promise<void>((resolve) => {
      started.push(item);
      pending.set(`${item.key}#${item.n}`, resolve);
    });
  const finish = (key: string, n: number) => {
    pending.get(`${key}#${n}`)?.();
    pending.delete(`${key}#${n}`);
  };
  return { process, started, finish };
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function queueOf(overrides: Partial<MessageQueueOptions<Item>> = {}) {
  const drops = createDropCounter();
  const processed: Item[] = [];
  const queue = createMessageQueue<Item>({
    maxSize: 10,
    concurrency: 1,
    keyOf: (item) => item.key,
    process: (item) => void processed.push(item),
    drops,
    ...overrides,
  });
  return { queue, drops, processed };
}

describe('message queue', () => {
  it('processes items in arrival order', async () => {
    const { queue, processed } = queueOf();
    ['a', 'b', 'c'].forEach((key, n) => queue.enqueue({ key, n }));
    await queue.idle();
    expect(processed.map((item) => item.key)).toEqual(['a', 'b', 'c']);
    expect(queue.stats()).toMatchObject({ processed: 3, waiting: 0, inFlight: 0 });
  });

  it('keeps every item of a key, in order, since each report feeds its connection window', async () => {
    const { queue, processed, drops } = queueOf();
    expect(queue.enqueue({ key: 'a', n: 1 })).toBe('queued');
    expect(queue.enqueue({ key: 'b', n: 2 })).toBe('queued');
    expect(queue.enqueue({ key: 'a', n: 3 })).toBe('queued');
    await queue.idle();
    expect(processed).toEqual([
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'a', n: 3 },
    ]);
    expect(drops.total()).toBe(0);
  });

  it('drops the oldest item of the busiest owner on overflow, so a flooding tab cannot push out a quiet one', async () => {
    const { queue, processed, drops } = queueOf({ maxSize: 3, ownerOf: (item) => item.key.split(':')[0]! });
    queue.enqueue({ key: 'quiet:1', n: 0 });
    for (let n = 1; n <= 5; n++) queue.enqueue({ key: `flood:${n}`, n });
    await queue.idle();
    expect(processed.map((item) => item.key)).toEqual(['quiet:1', 'flood:4', 'flood:5']);
    expect(drops.snapshot()['queue-overflow']).toBe(3);
  });

  it.each([
    { cap: 1, keys: ['a', 'b', 'c'], processed: ['c'], overflow: 2 },
    { cap: 2, keys: ['a', 'b', 'c'], processed: ['b', 'c'], overflow: 1 },
    { cap: 3, keys: ['a', 'b', 'c'], processed: ['a', 'b', 'c'], overflow: 0 },
    { cap: 2, keys: ['a', 'b', 'a', 'a'], processed: ['a', 'a'], overflow: 2 },
  ])('with room for $cap drops the oldest waiting items past it ($keys)', async ({ cap, keys, processed, overflow }) => {
    const { queue, processed: done, drops } = queueOf({ maxSize: cap });
    keys.forEach((key, n) => queue.enqueue({ key, n }));
    expect(queue.size()).toBeLessThanOrEqual(cap);
    await queue.idle();
    expect(done.map((item) => item.key)).toEqual(processed);
    expect(drops.snapshot()['queue-overflow'] ?? 0).toBe(overflow);
    expect(queue.stats().overflowed).toBe(overflow);
  });

  it('applies a lowered live cap on the next enqueue', () => {
    let cap = 5;
    const { queue, drops } = queueOf({ maxSize: () => cap });
    ['a', 'b', 'c', 'd'].forEach((key, n) => queue.enqueue({ key, n }));
    cap = 2;
    queue.enqueue({ key: 'e', n: 5 });
    expect(queue.size()).toBe(2);
    expect(queue.cap()).toBe(2);
    expect(drops.snapshot()['queue-overflow']).toBe(3);
  });

  it.each([1, 2, 3])('never runs more than %i items at once', async (concurrency) => {
    const g = gate();
    let running = 0;
    let peak = 0;
    const { queue } = queueOf({
      concurrency,
      process: async (item) => {
        running++;
        peak = Math.max(peak, running);
        await g.process(item);
        running--;
      },
    });
    for (let n = 0; n < 6; n++) queue.enqueue({ key: `k${n}`, n });
    await flush();
    expect(queue.stats().inFlight).toBe(concurrency);
    for (let n = 0; n < 6; n++) {
      g.finish(`k${n}`, n);
      await flush();
    }
    await queue.idle();
    expect(peak).toBe(concurrency);
    expect(g.started).toHaveLength(6);
  });

  it('never processes two items of one key at once, even with spare concurrency', async () => {
    const g = gate();
    const { queue } = queueOf({ concurrency: 4, process: g.process });
    queue.enqueue({ key: 'a', n: 1 });
    await flush();
    queue.enqueue({ key: 'a', n: 2 });
    queue.enqueue({ key: 'b', n: 3 });
    await flush();
    expect(g.started.map((item) => item.n)).toEqual([1, 3]);
    g.finish('a', 1);
    await flush();
    expect(g.started.map((item) => item.n)).toEqual([1, 3, 2]);
    g.finish('b', 3);
    g.finish('a', 2);
    await queue.idle();
  });

  it('catches and counts processing errors and carries on', async () => {
    const onError = vi.fn();
    const { queue, drops, processed } = queueOf({
      onError,
      process: (item) => {
        if (item.key === 'bad') throw new Error('bad item');
        processed.push(item);
      },
    });
    queue.enqueue({ key: 'bad', n: 1 });
    queue.enqueue({ key: 'good', n: 2 });
    await queue.idle();
    expect(processed).toEqual([{ key: 'good', n: 2 }]);
    expect(queue.stats()).toMatchObject({ processed: 1, failed: 1 });
    expect(drops.snapshot()).toEqual({ 'queue-process-failed': 1 });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'bad item' }), { key: 'bad', n: 1 });
  });

  it('resolves idle at once when empty', async () => {
    const { queue } = queueOf();
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it('drops what waits on dispose, counts it, and refuses new items', async () => {
    const g = gate();
    const { queue, drops } = queueOf({ process: g.process });
    queue.enqueue({ key: 'a', n: 1 });
    await flush();
    queue.enqueue({ key: 'b', n: 2 });
    queue.enqueue({ key: 'c', n: 3 });
    queue.dispose();
    expect(queue.enqueue({ key: 'd', n: 4 })).toBe('rejected');
    g.finish('a', 1);
    await queue.idle();
    expect(g.started.map((item) => item.key)).toEqual(['a']);
    expect(drops.snapshot()).toEqual({ 'queue-disposed': 2, 'queue-closed': 1 });
  });
});
