import { deliveryHealthSchema, type DeliveryHealth, type GatewayError } from '../messaging/health';
import type { KeyValueArea } from '../storage/key-value-area';
import type { DropCounter } from '../resilience/drop-counter';
import { BreakerOpenError, type NetworkCircuitBreaker } from '../resilience/network-circuit-breaker';
import type { Outbox, OutboxItem } from './outbox';
import { isOutage, type GatewayOverride, type GatewayResult, type PushgatewayClient } from './pushgateway-client';
import type { GatewayTarget } from './gateway-targets';
import { createThrottledSaver } from './throttled-saver';
import { createFlushRunner } from './flush-runner';
import { readPersisted } from '../storage/read-persisted';

/**
 * Moves the outbox to the Pushgateway through the network circuit breaker. Each flush sends
 * the latest snapshot of every dirty group and every pending delete, a few at a time. While
 * the breaker is open nothing is sent except cockatiel's single half-open probe, which the
 * delivery schedules itself; when it succeeds the rest follows. A 4xx for one group is recorded
 * and that group waits for its next snapshot, while every other group goes on.
 */
export interface Delivery {
  /** Sends what is pending. Never runs twice at once: a call during a flush gets one more run after it. */
  flush(): Promise<void>;
  health(): DeliveryHealth;
  /** Loads the counters a previous run left (last success, last error, counts). */
  restore(): Promise<void>;
  /** Makes groups the gateway refused sendable again (after the gateway settings changed) and flushes. */
  retryRejected(): Promise<void>;
  /** Persists the counters now. */
  persist(): Promise<void>;
  dispose(): void;
}

export interface DeliveryOptions {
  outbox: Outbox;
  client: PushgatewayClient;
  breaker: NetworkCircuitBreaker;
  drops: DropCounter;
  area: KeyValueArea;
  now?: () => number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Wait before retrying groups whose push failed while the breaker stayed closed, in ms. Default 2,000. */
  retryDelayMs?: number;
  storageKey?: string;
  persistDelayMs?: number;
  /**
   * Where an entry bound to a target goes and through which breaker: null for the current
   * gateway (the main breaker). An earlier gateway has a breaker of its own, so an unreachable
   * old gateway never holds up pushes to the new one. Default: every entry to the current gateway.
   */
  route?: (target: GatewayTarget) => { to: GatewayOverride; breaker: NetworkCircuitBreaker } | null;
}

export const DELIVERY_STORAGE_KEY = 'exporter.delivery';
const MIN_WAKE_MS = 50;

/** Drop reasons this module counts. */
export const DELIVERY_DROPS = {
  pushRejected: 'push-rejected',
  deleteRejected: 'delete-rejected',
  statsCorrupt: 'delivery-stats-corrupt',
} as const;

const countersSchema = deliveryHealthSchema.pick({
  pushesOk: true,
  pushesFailed: true,
  deletesOk: true,
  lastAttemptAt: true,
  lastSuccessAt: true,
  lastError: true,
});
type Counters = ReturnType<typeof countersSchema.parse>;

/** Creates the delivery. Call `restore()` on start, and `flush()` whenever the outbox changed. */
export function createDelivery(options: DeliveryOptions): Delivery {
  const { outbox, client, breaker, drops } = options;
  const now = options.now ?? Date.now;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const storageKey = options.storageKey ?? DELIVERY_STORAGE_KEY;
  let counters: Counters = {
    pushesOk: 0,
    pushesFailed: 0,
    deletesOk: 0,
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastError: null,
  };

  const saver = createThrottledSaver({
    delayMs: options.persistDelayMs ?? 1_000,
    save: () => options.area.set({ [storageKey]: counters }),
  });


  function routeOf(item: OutboxItem): { to?: GatewayOverride; breaker: NetworkCircuitBreaker } {
    return (item.target && options.route?.(item.target)) || { breaker };
  }

  function send(item: OutboxItem, to: GatewayOverride | undefined): Promise<GatewayResult> {
    counters.lastAttemptAt = now();
    return item.kind === 'push' ? client.push(item.groupingKey, item.body, undefined, to) : client.delete(item.groupingKey, undefined, to);
  }

  function record(item: OutboxItem, result: GatewayResult): 'ok' | 'failed' | 'rejected' | 'released' {
    if (result.kind === 'ok') {
      outbox.ack(item.groupId, item.version);
      if (item.kind === 'push') counters.pushesOk += 1;
      else counters.deletesOk += 1;
      counters.lastSuccessAt = now();
      saver.markDirty();
      return 'ok';
    }
    if (result.kind === 'aborted') {
      outbox.release(item.groupId);
      return 'released';
    }
    // Failed deletes are counted with failed pushes: the health contract has one failure count.
    counters.pushesFailed += 1;
    counters.lastError = toGatewayError(result, item.groupId, now());
    saver.markDirty();
    if (isOutage(result)) {
      outbox.fail(item.groupId, item.version);
      return 'failed';
    }
    outbox.reject(item.groupId, item.version, counters.lastError.message);
    drops.count(item.kind === 'push' ? DELIVERY_DROPS.pushRejected : DELIVERY_DROPS.deleteRejected);
    return 'rejected';
  }

  async function runOnce(): Promise<void> {
    // Not configured: only deletes bound to an earlier gateway have somewhere to go.
    const configured = client.configured();
    // A group is tried at most once per run, so a failing one cannot spin inside a flush.
    const attempted = new Set<string>();
    // Breakers that refused in this run: their entries wait, the others go on.
    const refused = new Set<NetworkCircuitBreaker>();
    let failed = false;
    // With the main breaker open, only entries bound to an earlier gateway can still go.
    const hasPinned = options.route !== undefined && outbox.pinnedTargets().length > 0;

    async function worker(): Promise<void> {
      while (!refused.has(breaker) || hasPinned) {
        const [item] = outbox.take(1, attempted);
        if (!item) return;
        attempted.add(item.groupId);
        const route = routeOf(item);
        if (refused.has(route.breaker) || (!configured && route.to === undefined)) {
          outbox.release(item.groupId);
          continue;
        }
        try {
          const outcome = record(item, await route.breaker.execute(() => send(item, route.to)));
          if (outcome === 'failed') failed = true;
        } catch (error) {
          if (error instanceof BreakerOpenError) {
            outbox.release(item.groupId);
            refused.add(route.breaker);
            continue;
          }
          // Not expected (the client classifies instead of throwing); keep the entry and go on.
          record(item, { kind: 'network', message: error instanceof Error ? error.message : String(error) });
          failed = true;
        }
      }
    }

    await Promise.all(Array.from({ length: concurrency }, worker));
    const stats = outbox.stats();
    if (stats.groups + stats.pendingDeletes - stats.rejected <= 0) return;
    const retryAt = breaker.retryAt();
    // Never sooner than a short pause: a wake-up must not turn into a busy loop.
    if (retryAt !== null) wakeAt(Math.max(retryAt + 1, now() + MIN_WAKE_MS));
    else if (failed) wakeAt(now() + retryDelayMs);
  }

  const runner = createFlushRunner({ runOnce, now });
  const { flush, wakeAt } = runner;

  return {
    flush,
    health() {
      const stats = outbox.stats();
      return {
        configured: client.configured(),
        breaker: breaker.state(),
        breakerSince: breaker.since(),
        outboxGroups: stats.groups,
        outboxBytes: stats.bytes,
        pendingDeletes: stats.pendingDeletes,
        pushesOk: counters.pushesOk,
        pushesFailed: counters.pushesFailed,
        deletesOk: counters.deletesOk,
        lastAttemptAt: counters.lastAttemptAt,
        lastSuccessAt: counters.lastSuccessAt,
        lastError: counters.lastError,
        rejectedGroups: stats.rejected,
      };
    },
    async restore() {
      const parsed = await readPersisted(options.area, storageKey, countersSchema);
      if (parsed.status === 'corrupt') drops.count(DELIVERY_DROPS.statsCorrupt);
      if (parsed.status !== 'ok') return;
      // Counts made in this run before the restore finished are added, not lost.
      counters = {
        pushesOk: parsed.value.pushesOk + counters.pushesOk,
        pushesFailed: parsed.value.pushesFailed + counters.pushesFailed,
        deletesOk: parsed.value.deletesOk + counters.deletesOk,
        lastAttemptAt: counters.lastAttemptAt ?? parsed.value.lastAttemptAt,
        lastSuccessAt: counters.lastSuccessAt ?? parsed.value.lastSuccessAt,
        lastError: counters.lastError ?? parsed.value.lastError,
      };
    },
    async retryRejected() {
      if (outbox.clearRejected() > 0) await flush();
    },
    persist: () => saver.flush(),
    dispose() {
      runner.dispose();
      saver.dispose();
    },
  };
}

function toGatewayError(result: Exclude<GatewayResult, { kind: 'ok' | 'aborted' }>, groupId: string, at: number): GatewayError {
  switch (result.kind) {
    case 'http':
      return { at, kind: 'http', status: result.status, message: result.message, groupId };
    case 'timeout':
      return { at, kind: 'timeout', message: result.message, groupId };
    case 'network':
      return { at, kind: 'network', message: result.message, groupId };
    case 'config':
      return { at, kind: 'config', message: result.message, groupId };
  }
}
