import type { z } from 'zod';
import { deliveryHealthSchema, type GatewayError } from '../messaging/health';
import type { KeyValueArea } from '../storage/key-value-area';
import type { DropCounter } from '../resilience/drop-counter';
import { readPersisted } from '../storage/read-persisted';
import { createThrottledSaver } from './throttled-saver';

/** The delivery counts health shows, persisted so a worker restart does not reset them. */
export const deliveryCountersSchema = deliveryHealthSchema.pick({
  pushesOk: true,
  pushesFailed: true,
  deletesOk: true,
  lastAttemptAt: true,
  lastSuccessAt: true,
  lastError: true,
});
export type DeliveryCounters = z.infer<typeof deliveryCountersSchema>;

export interface DeliveryCountersOptions {
  area: KeyValueArea;
  storageKey: string;
  drops: DropCounter;
  /** Drop reason counted when the stored counters are unreadable (they start again from zero). */
  corruptReason: string;
  /** Longest wait before a change is written, ms. Default 1,000. */
  persistDelayMs?: number;
}

/**
 * Creates the counters of one delivery (Pushgateway or remote-write): what went out, what failed
 * and the last error, written at most every `persistDelayMs` and read back by `restore()`.
 */
export function createDeliveryCounters(options: DeliveryCountersOptions) {
  let counters: DeliveryCounters = {
    pushesOk: 0,
    pushesFailed: 0,
    deletesOk: 0,
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastError: null,
  };
  const saver = createThrottledSaver({
    delayMs: options.persistDelayMs ?? 1_000,
    save: () => options.area.set({ [options.storageKey]: counters }),
  });

  return {
    /** The counters now (read-only: change them through the methods below). */
    get: (): Readonly<DeliveryCounters> => counters,
    /** A request is about to go out. */
    attempted(at: number): void {
      counters.lastAttemptAt = at;
    },
    /** A push (or a delete) was answered with success. */
    succeeded(kind: 'push' | 'delete', at: number): void {
      if (kind === 'push') counters.pushesOk += 1;
      else counters.deletesOk += 1;
      counters.lastSuccessAt = at;
      saver.markDirty();
    },
    /** A request failed (failed deletes count as failed pushes: health has one failure count). */
    failed(error: GatewayError): void {
      counters.pushesFailed += 1;
      counters.lastError = error;
      saver.markDirty();
    },
    /** Loads the counters a previous run left; counts made in this run before it finished are added, not lost. */
    async restore(): Promise<void> {
      const parsed = await readPersisted(options.area, options.storageKey, deliveryCountersSchema);
      if (parsed.status === 'corrupt') options.drops.count(options.corruptReason);
      if (parsed.status !== 'ok') return;
      counters = {
        pushesOk: parsed.value.pushesOk + counters.pushesOk,
        pushesFailed: parsed.value.pushesFailed + counters.pushesFailed,
        deletesOk: parsed.value.deletesOk + counters.deletesOk,
        lastAttemptAt: counters.lastAttemptAt ?? parsed.value.lastAttemptAt,
        lastSuccessAt: counters.lastSuccessAt ?? parsed.value.lastSuccessAt,
        lastError: counters.lastError ?? parsed.value.lastError,
      };
    },
    /** Writes the counters now. */
    persist: (): Promise<void> => saver.flush(),
    dispose: (): void => saver.dispose(),
  };
}
export type DeliveryCounterStore = ReturnType<typeof createDeliveryCounters>;
