import { z } from 'zod';
import type { DropCounter } from '../resilience/drop-counter';
import type { KeyValueArea } from '../storage/key-value-area';
import { readPersisted } from '../storage/read-persisted';
import type { RemoteWriteSeries } from './remote-write-encoder';
import { createThrottledSaver } from './throttled-saver';

/**
 * The remote-write sample buffer. Unlike a Pushgateway push, a remote-write sample is history:
 * every push window's values are kept, with the time they were measured, until the receiver
 * has them. So an outage is replayed in time order afterwards and the receiver's timeline has
 * no gap. Bounded by bytes and by age; the oldest samples go first, counted. Persisted, so a
 * stopped service worker or a browser restart loses nothing that was buffered.
 */

/** One value of one series at one push window. */
export interface BufferedRow {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** What `nextBatch` hands out: series with their samples oldest first, and what to ack. */
export interface SampleBatch {
  /** Pass to `ack` (delivered) or `reject` (refused for good). */
  id: number;
  series: RemoteWriteSeries[];
  samples: number;
}

export interface SampleBufferLimits {
  maxBytes: number;
  maxAgeMs: number;
}

export const SAMPLE_BUFFER_DROPS = {
  overflow: 'remote-write-buffer-overflow',
  expired: 'remote-write-buffer-expired',
  rejected: 'remote-write-rejected-samples',
  corrupt: 'remote-write-buffer-corrupt',
} as const;

const STORAGE_KEY = 'remoteWriteBuffer';

const persistedSchema = z.object({
  frames: z
    .array(
      z.object({
        at: z.number().finite(),
        rows: z.array(z.tuple([z.string().max(200), z.record(z.string().max(200), z.string().max(2_000)), z.number()])).max(100_000),
      }),
    )
    .max(100_000),
});

interface Frame {
  at: number;
  rows: readonly BufferedRow[];
  bytes: number;
  samples: number;
}

/** Creates a buffer persisted in `area` (storage.local, so it survives a browser restart). */
export function createSampleBuffer(options: {
  area: KeyValueArea;
  limits: () => SampleBufferLimits;
  drops: DropCounter;
  now?: () => number;
  persistDelayMs?: number;
}) {
  const now = options.now ?? Date.now;
  let frames: Frame[] = [];
  let bytes = 0;
  let samples = 0;
  let nextId = 1;
  /** The batch handed out and not yet acked or rejected: the frames at the front it covers. */
  let inFlight: { id: number; frames: number } | undefined;
  const saver = createThrottledSaver({
    delayMs: options.persistDelayMs ?? 2_000,
    save: () =>
      options.area.set({
        [STORAGE_KEY]: { frames: frames.map((frame) => ({ at: frame.at, rows: frame.rows.map((row) => [row.name, row.labels, row.value]) })) },
      }),
    now,
  });

  function removeFront(count: number): Frame[] {
    const removed = frames.splice(0, count);
    for (const frame of removed) {
      bytes -= frame.bytes;
      samples -= frame.samples;
    }
    // Frames shifted: a batch in flight no longer covers what it did.
    if (inFlight) inFlight = undefined;
    return removed;
  }

  function enforceLimits(): void {
    const { maxBytes, maxAgeMs } = options.limits();
    const oldestAllowed = now() - maxAgeMs;
    let expired = 0;
    while (expired < frames.length && frames[expired]!.at < oldestAllowed) expired++;
    if (expired) options.drops.count(SAMPLE_BUFFER_DROPS.expired, countSamples(removeFront(expired)));
    let over = 0;
    let remaining = bytes;
    while (over < frames.length - 1 && remaining > maxBytes) remaining -= frames[over++]!.bytes;
    if (over) options.drops.count(SAMPLE_BUFFER_DROPS.overflow, countSamples(removeFront(over)));
  }

  function add(frame: Frame): void {
    frames.push(frame);
    bytes += frame.bytes;
    samples += frame.samples;
  }

  return {
    /** Adds the values of one push window measured at `at` (Unix ms). Frames must come in time order. */
    append(at: number, rows: readonly BufferedRow[]): void {
      if (rows.length === 0) return;
      const last = frames[frames.length - 1];
      // Receivers refuse out-of-order samples of a series: a clock step back is clamped forward.
      const time = last && at <= last.at ? last.at + 1 : at;
      add({ at: time, rows, bytes: frameBytes(rows), samples: rows.length });
      enforceLimits();
      saver.markDirty();
    },
    /**
     * The oldest frames, up to `maxSamples` samples (at least one frame), as series with their
     * samples in time order. Null when empty. One batch at a time: the next call hands out the
     * same frames again until this one is acked or rejected (a retry sends the same samples).
     */
    nextBatch(maxSamples: number): SampleBatch | null {
      enforceLimits();
      if (frames.length === 0) return null;
      let count = 0;
      let taken = 0;
      while (taken < frames.length && (taken === 0 || count + frames[taken]!.samples <= maxSamples)) {
        count += frames[taken]!.samples;
        taken++;
      }
      const bySeries = new Map<string, RemoteWriteSeries & { samples: { value: number; timestampMs: number }[] }>();
      for (const frame of frames.slice(0, taken)) {
        for (const row of frame.rows) {
          const key = seriesKey(row);
          let series = bySeries.get(key);
          if (!series) bySeries.set(key, (series = { name: row.name, labels: row.labels, samples: [] }));
          series.samples.push({ value: row.value, timestampMs: frame.at });
        }
      }
      inFlight = { id: nextId++, frames: taken };
      return { id: inFlight.id, series: [...bySeries.values()], samples: count };
    },
    /** The receiver stored the batch: its frames leave the buffer. */
    ack(id: number): void {
      if (inFlight?.id !== id) return;
      removeFront(inFlight.frames);
      saver.markDirty();
    },
    /** The receiver refused the batch for good (a 4xx): it is dropped and counted, never retried. */
    reject(id: number): void {
      if (inFlight?.id !== id) return;
      options.drops.count(SAMPLE_BUFFER_DROPS.rejected, countSamples(removeFront(inFlight.frames)));
      saver.markDirty();
    },
    stats(): { frames: number; samples: number; bytes: number; oldestAt: number | null } {
      return { frames: frames.length, samples, bytes, oldestAt: frames[0]?.at ?? null };
    },
    /** Loads what a previous worker left; unreadable state is counted and dropped. */
    async restore(): Promise<void> {
      const read = await readPersisted(options.area, STORAGE_KEY, persistedSchema);
      if (read.status === 'corrupt') {
        options.drops.count(SAMPLE_BUFFER_DROPS.corrupt);
        saver.markDirty();
      }
      if (read.status !== 'ok') return;
      const restored = read.value.frames.map((frame) => {
        const rows = frame.rows.map(([name, labels, value]) => ({ name, labels, value }));
        return { at: frame.at, rows, bytes: frameBytes(rows), samples: rows.length };
      });
      // Restored frames are older than anything appended since start.
      const current = frames;
      frames = [];
      bytes = 0;
      samples = 0;
      inFlight = undefined;
      for (const frame of [...restored, ...current].sort((a, b) => a.at - b.at)) add(frame);
      enforceLimits();
    },
    flush: () => saver.flush(),
    dispose: () => saver.dispose(),
  };
}
export type SampleBuffer = ReturnType<typeof createSampleBuffer>;

function seriesKey(row: BufferedRow): string {
  let key = row.name;
  for (const name of Object.keys(row.labels).sort()) key += `\u0000${name}\u0000${row.labels[name]}`;
  return key;
}

function countSamples(frames: readonly Frame[]): number {
  let total = 0;
  for (const frame of frames) total += frame.samples;
  return total;
}

// Roughly what the frame costs in storage (its JSON), computed once per frame.
function frameBytes(rows: readonly BufferedRow[]): number {
  let total = 16;
  for (const row of rows) {
    total += row.name.length + 24;
    for (const [name, value] of Object.entries(row.labels)) total += name.length + value.length + 6;
  }
  return total;
}
