import { describe, expect, it, vi } from 'vitest';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import { createBoundedMap, createResourceManager } from '../../../utils/resilience/resource-manager';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('bounded map', () => {
  it.each([
    { cap: 1, inserted: ['a', 'b', 'c'], kept: ['c'], evicted: ['a', 'b'] },
    { cap: 2, inserted: ['a', 'b', 'c'], kept: ['b', 'c'], evicted: ['a'] },
    { cap: 3, inserted: ['a', 'b', 'c'], kept: ['a', 'b', 'c'], evicted: [] },
    { cap: 2, inserted: ['a', 'b', 'a', 'c'], kept: ['a', 'c'], evicted: ['b'] },
  ])('with cap $cap after inserting $inserted keeps $kept', ({ cap, inserted, kept, evicted }) => {
    const onEvict = vi.fn();
    const map = createBoundedMap<string, number>({ maxSize: cap, onEvict });
    inserted.forEach((key, i) => map.set(key, i));
    expect([...map.keys()]).toEqual(kept);
    expect(onEvict.mock.calls.map(([key]) => key)).toEqual(evicted);
    expect(onEvict.mock.calls.every(([, , reason]) => reason === 'size')).toBe(true);
  });

  it('evicts the least recently read entry, not the oldest written', () => {
    const map = createBoundedMap<string, number>({ maxSize: 2 });
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect([...map.keys()]).toEqual(['a', 'c']);
  });

  it('does not change the order on peek', () => {
    const map = createBoundedMap<string, number>({ maxSize: 2 });
    map.set('a', 1);
    map.set('b', 2);
    expect(map.peek('a')).toBe(1);
    map.set('c', 3);
    expect([...map.keys()]).toEqual(['b', 'c']);
  });

  it('counts every eviction in the drop counter by reason', () => {
    const drops = createDropCounter();
    const time = clock();
    const map = createBoundedMap<string, number>({
      maxSize: 2,
      maxAgeMs: 100,
      now: time.now,
      drops,
      dropReason: 'tracker-evicted',
    });
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    time.advance(101);
    map.sweep();
    expect(drops.snapshot()).toEqual({ 'tracker-evicted-size': 1, 'tracker-evicted-age': 2 });
    expect(map.evictions()).toEqual({ size: 1, age: 2 });
  });

  it('sweeps only entries idle for longer than the max age, counting from their last use', () => {
    const time = clock();
    const onEvict = vi.fn();
    const map = createBoundedMap<string, number>({ maxSize: 10, maxAgeMs: 100, now: time.now, onEvict });
    map.set('old', 1);
    map.set('read', 2);
    time.advance(60);
    map.set('young', 3);
    map.get('read');
    time.advance(50);
    expect(map.sweep()).toBe(1);
    expect([...map.keys()]).toEqual(['young', 'read']);
    expect(onEvict).toHaveBeenCalledWith('old', 1, 'age');
  });

  it('keeps an entry exactly at the max age', () => {
    const time = clock();
    const map = createBoundedMap<string, number>({ maxSize: 10, maxAgeMs: 100, now: time.now });
    map.set('a', 1);
    time.advance(100);
    expect(map.sweep()).toBe(0);
    time.advance(1);
    expect(map.sweep()).toBe(1);
  });

  it('never evicts by age without a max age', () => {
    const time = clock();
    const map = createBoundedMap<string, number>({ maxSize: 10, now: time.now });
    map.set('a', 1);
    time.advance(1e9);
    expect(map.sweep()).toBe(0);
    expect(map.size).toBe(1);
  });

  it('applies a lowered live cap on the next write or sweep', () => {
    let cap = 3;
    const map = createBoundedMap<string, number>({ maxSize: () => cap });
    ['a', 'b', 'c'].forEach((key, i) => map.set(key, i));
    cap = 1;
    expect(map.cap()).toBe(1);
    expect(map.sweep()).toBe(2);
    expect([...map.keys()]).toEqual(['c']);
  });

  it('can be iterated while entries are deleted', () => {
    const map = createBoundedMap<string, number>({ maxSize: 5 });
    ['a', 'b', 'c'].forEach((key, i) => map.set(key, i));
    for (const [key] of map.entries()) map.delete(key);
    expect(map.size).toBe(0);
  });
});

describe('resource manager', () => {
  it('reports size, live cap and evictions of every registered collection', () => {
    const drops = createDropCounter();
    const manager = createResourceManager({ drops });
    const reliability = { queueMaxSize: 5 };
    const queue: number[] = [1, 2];
    manager.register('queue', { size: () => queue.length, cap: () => reliability.queueMaxSize, evicted: () => 7 });
    const points = manager.boundedMap<string, number>('points', { maxSize: 2 });
    points.set('a', 1);
    points.set('b', 2);
    points.set('c', 3);

    expect(manager.snapshot()).toEqual({
      queue: { size: 2, cap: 5, evicted: 7 },
      points: { size: 2, cap: 2, evicted: 1 },
    });
    reliability.queueMaxSize = 9;
    queue.push(3);
    expect(manager.snapshot().queue).toEqual({ size: 3, cap: 9, evicted: 7 });
  });

  it('counts evictions of its maps under the map name', () => {
    const drops = createDropCounter();
    const manager = createResourceManager({ drops });
    const map = manager.boundedMap<string, number>('rate-keys', { maxSize: 1 });
    map.set('a', 1);
    map.set('b', 2);
    expect(drops.snapshot()).toEqual({ 'rate-keys-evicted-size': 1 });
  });

  it('sweeps every map it created, with its own clock', () => {
    const time = clock();
    const drops = createDropCounter();
    const manager = createResourceManager({ drops, now: time.now });
    const a = manager.boundedMap<string, number>('a', { maxSize: 10, maxAgeMs: 50 });
    const b = manager.boundedMap<string, number>('b', { maxSize: 10 });
    a.set('x', 1);
    b.set('y', 1);
    time.advance(51);
    expect(manager.sweep()).toEqual({ a: 1, b: 0 });
    expect(a.size).toBe(0);
    expect(b.size).toBe(1);
  });

  it('forgets a collection once unregistered', () => {
    const manager = createResourceManager({ drops: createDropCounter() });
    const unregister = manager.register('outbox', { size: () => 1, cap: () => 2 });
    expect(manager.snapshot()).toEqual({ outbox: { size: 1, cap: 2, evicted: 0 } });
    unregister();
    expect(manager.snapshot()).toEqual({});
  });

  it('refuses to grow its own registry without bound', () => {
    const manager = createResourceManager({ drops: createDropCounter() });
    for (let i = 0; i < 64; i++) manager.register(`r${i}`, { size: () => 0, cap: () => 1 });
    expect(() => manager.register('one-too-many', { size: () => 0, cap: () => 1 })).toThrow(/more than 64/);
    expect(() => manager.register('r0', { size: () => 0, cap: () => 1 })).not.toThrow();
  });
});
