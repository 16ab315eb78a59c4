import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import { createSampleBuffer, SAMPLE_BUFFER_DROPS, type BufferedRow } from '../../../utils/export/sample-buffer';
import { createMemoryArea } from '../integrity/memory-area';

const T0 = 1_764_626_400_000;
const row = (name: string, value: number, labels: Record<string, string> = { kind: 'audio' }): BufferedRow => ({ name, labels, value });

function setup(limits = { maxBytes: 1_000_000, maxAgeMs: 3_600_000 }, memory = createMemoryArea()) {
  let clock = T0;
  const drops = createDropCounter();
  const buffer = createSampleBuffer({ area: memory.area, limits: () => limits, drops, now: () => clock });
  return { buffer, drops, memory, limits, advance: (ms: number) => (clock += ms), at: () => clock };
}

describe('createSampleBuffer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out each series with its samples oldest first, stamped with the window time', () => {
    const { buffer } = setup();
    buffer.append(T0, [row('loss', 0.01), row('rtt', 0.3, {})]);
    buffer.append(T0 + 10_000, [row('loss', 0.05), row('rtt', 0.4, {})]);
    const batch = buffer.nextBatch(100)!;
    expect(batch.samples).toBe(4);
    expect(batch.series).toEqual([
      { name: 'loss', labels: { kind: 'audio' }, samples: [{ value: 0.01, timestampMs: T0 }, { value: 0.05, timestampMs: T0 + 10_000 }] },
      { name: 'rtt', labels: {}, samples: [{ value: 0.3, timestampMs: T0 }, { value: 0.4, timestampMs: T0 + 10_000 }] },
    ]);
  });

  it('keeps a batch until it is acked, so a failed request sends the same samples again', () => {
    const { buffer } = setup();
    buffer.append(T0, [row('loss', 0.01)]);
    const first = buffer.nextBatch(100)!;
    const retry = buffer.nextBatch(100)!;
    expect(retry.series).toEqual(first.series);
    buffer.ack(retry.id);
    expect(buffer.nextBatch(100)).toBeNull();
  });

  it('ignores an ack of a batch that is no longer the one in flight', () => {
    const { buffer } = setup();
    buffer.append(T0, [row('loss', 0.01)]);
    const stale = buffer.nextBatch(100)!;
    buffer.nextBatch(100);
    buffer.ack(stale.id);
    expect(buffer.stats().samples).toBe(1);
  });

  it('splits a long outage into batches of whole windows, oldest first', () => {
    const { buffer } = setup();
    for (let i = 0; i < 5; i++) buffer.append(T0 + i * 10_000, [row('a', i), row('b', i)]);
    const first = buffer.nextBatch(4)!;
    expect(first.samples).toBe(4);
    expect(first.series[0]!.samples.map((sample) => sample.value)).toEqual([0, 1]);
    buffer.ack(first.id);
    expect(buffer.nextBatch(4)!.series[0]!.samples.map((sample) => sample.value)).toEqual([2, 3]);
  });

  it('drops and counts a refused batch instead of retrying it', () => {
    const { buffer, drops } = setup();
    buffer.append(T0, [row('a', 1), row('b', 2)]);
    buffer.reject(buffer.nextBatch(100)!.id);
    expect(buffer.nextBatch(100)).toBeNull();
    expect(drops.snapshot()[SAMPLE_BUFFER_DROPS.rejected]).toBe(2);
  });

  it('drops the oldest windows past the byte cap and counts their samples', () => {
    const { buffer, drops, limits } = setup();
    buffer.append(T0, [row('a', 1)]);
    const oneFrame = buffer.stats().bytes;
    limits.maxBytes = oneFrame * 2;
    buffer.append(T0 + 1, [row('a', 2)]);
    buffer.append(T0 + 2, [row('a', 3)]);
    expect(buffer.stats()).toMatchObject({ frames: 2, oldestAt: T0 + 1 });
    expect(drops.snapshot()[SAMPLE_BUFFER_DROPS.overflow]).toBe(1);
  });

  it('drops windows older than the age cap', () => {
    const { buffer, drops, advance } = setup({ maxBytes: 1_000_000, maxAgeMs: 60_000 });
    buffer.append(T0, [row('a', 1), row('b', 1)]);
    advance(61_000);
    expect(buffer.nextBatch(100)).toBeNull();
    expect(drops.snapshot()[SAMPLE_BUFFER_DROPS.expired]).toBe(2);
  });

  it('moves a window whose clock stepped back to just after the previous one', () => {
    const { buffer } = setup();
    buffer.append(T0, [row('a', 1)]);
    buffer.append(T0 - 5_000, [row('a', 2)]);
    expect(buffer.nextBatch(100)!.series[0]!.samples.map((sample) => sample.timestampMs)).toEqual([T0, T0 + 1]);
  });

  it('survives a restart: a new buffer on the same storage replays what was not delivered', async () => {
    const memory = createMemoryArea();
    const before = setup(undefined, memory);
    before.buffer.append(T0, [row('a', 1)]);
    before.buffer.append(T0 + 10_000, [row('a', 2)]);
    await before.buffer.flush();
    const after = setup(undefined, memory);
    await after.buffer.restore();
    expect(after.buffer.nextBatch(100)!.series[0]!.samples.map((sample) => sample.value)).toEqual([1, 2]);
  });

  it('counts unreadable stored state and starts empty', async () => {
    const memory = createMemoryArea({ remoteWriteBuffer: { frames: 'garbage' } });
    const { buffer, drops } = setup(undefined, memory);
    await buffer.restore();
    expect(buffer.stats().frames).toBe(0);
    expect(drops.snapshot()[SAMPLE_BUFFER_DROPS.corrupt]).toBe(1);
  });
});
