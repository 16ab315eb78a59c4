import type { DeliveryHealth, GatewayError } from '../messaging/health';
import type { KeyValueArea } from '../storage/key-value-area';
import type { DropCounter } from '../resilience/drop-counter';
import { BreakerOpenError, type NetworkCircuitBreaker } from '../resilience/network-circuit-breaker';
import type { Outbox, OutboxItem } from './outbox';
import { isOutage, type GatewayOverride, type GatewayResult, type PushgatewayClient } from './pushgateway-client';
import type { GatewayTarget } from './gateway-targets';
import { createFlushRunner } from './flush-runner';
import { createDeliveryCounters } from './delivery-counters';

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

/** Creates the delivery. Call `restore()` on start, and `flush()` whenever the outbox changed. */
export function createDelivery(options: DeliveryOptions): Delivery {
  const { outbox, client, breaker, drops } = options;
  const now = options.now ?? Date.now;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const counters = createDeliveryCounters({
    area: options.area,
    storageKey: options.storageKey ?? DELIVERY_STORAGE_KEY,
    drops,
    corruptReason: DELIVERY_DROPS.statsCorrupt,
    persistDelayMs: options.persistDelayMs,
  });

  function routeOf(item: OutboxItem): { to?: GatewayOverride; breaker: NetworkCircuitBreaker } {
    return (item.target && options.route?.(item.target)) || { breaker };
  }

  function send(item: OutboxItem, to: GatewayOverride | undefined): Promise<GatewayResult> {
    counters.attempted(now());
    return item.kind === 'push' ? client.push(item.groupingKey, item.body, undefined, to) : client.delete(item.groupingKey, undefined, to);
  }

  function record(item: OutboxItem, result: GatewayResult): 'ok' | 'failed' | 'rejected' | 'released' {
    if (result.kind === 'ok') {
      outbox.ack(item.groupId, item.version);
      counters.succeeded(item.kind, now());
      return 'ok';
    }
    if (result.kind === 'aborted') {
      outbox.release(item.groupId);
      return 'released';
    }
    const error = toGatewayError(result, item.groupId, now());
    counters.failed(error);
    if (isOutage(result)) {
      outbox.fail(item.groupId, item.version);
      return 'failed';
    }
    outbox.reject(item.groupId, item.version, error.message);
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
        ...counters.get(),
        rejectedGroups: stats.rejected,
      };
    },
    restore: counters.restore,
    async retryRejected() {
      if (outbox.clearRejected() > 0) await flush();
    },
    persist: counters.persist,
    dispose() {
      runner.dispose();
      counters.dispose();
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
