import type { DeliveryHealth } from '../messaging/health';
import type { DropCounter } from '../resilience/drop-counter';
import type { KeyValueArea } from '../storage/key-value-area';
import { BreakerOpenError, type NetworkCircuitBreaker } from '../resilience/network-circuit-breaker';
import { isOutage, type GatewayResult } from './http-request';
import type { RemoteWriteClient } from './remote-write-client';
import type { SampleBuffer } from './sample-buffer';
import { createFlushRunner } from './flush-runner';
import { createDeliveryCounters } from './delivery-counters';

/**
 * Moves the sample buffer to a remote-write receiver through the network circuit breaker,
 * oldest samples first, one request at a time (a receiver refuses a series' samples that arrive
 * out of order, so requests must not overtake each other). An outage (5xx, 429, timeout,
 * network) keeps the batch for a retry after the breaker's delay; a 4xx drops the batch,
 * counted, and shows the receiver's message, so one bad batch cannot block the rest.
 */
export interface RemoteWriteDeliveryOptions {
  buffer: SampleBuffer;
  client: RemoteWriteClient;
  breaker: NetworkCircuitBreaker;
  drops: DropCounter;
  /** Where its counters persist across worker restarts (as the Pushgateway delivery's do). */
  area: KeyValueArea;
  storageKey?: string;
  persistDelayMs?: number;
  now?: () => number;
  /** Most samples in one request. Default 2,000 (receivers take far more; this bounds one body). */
  maxSamplesPerRequest?: () => number;
  /** Most requests in one flush, so a replay after a long outage yields between slices. Default 20. */
  maxRequestsPerFlush?: number;
  /** Wait before retrying after a failure while the breaker stayed closed, in ms. Default 2,000. */
  retryDelayMs?: number;
}

const MIN_WAKE_MS = 50;

export const REMOTE_WRITE_DELIVERY_STORAGE_KEY = 'exporter.remoteWriteDelivery';
/** Drop reason: the stored remote-write counters were unreadable and started again from zero. */
export const REMOTE_WRITE_STATS_CORRUPT = 'remote-write-stats-corrupt';

/**
 * Creates the delivery. Call `restore()` on start (its counters: requests, failures, the last
 * error), and `flush()` after each push window was appended to the buffer.
 */
export function createRemoteWriteDelivery(options: RemoteWriteDeliveryOptions) {
  const { buffer, client, breaker } = options;
  const now = options.now ?? Date.now;
  const maxSamples = options.maxSamplesPerRequest ?? (() => 2_000);
  const maxRequests = options.maxRequestsPerFlush ?? 20;
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  // Requests count as pushes in health's shape.
  const counters = createDeliveryCounters({
    area: options.area,
    storageKey: options.storageKey ?? REMOTE_WRITE_DELIVERY_STORAGE_KEY,
    drops: options.drops,
    corruptReason: REMOTE_WRITE_STATS_CORRUPT,
    persistDelayMs: options.persistDelayMs,
  });

  function failed(result: Exclude<GatewayResult, { kind: 'ok' | 'aborted' }>): void {
    counters.failed(
      result.kind === 'http'
        ? { at: now(), kind: 'http', status: result.status, message: result.message }
        : { at: now(), kind: result.kind, message: result.message },
    );
  }

  async function runOnce(): Promise<void> {
    if (!client.configured()) return;
    for (let sent = 0; sent < maxRequests; sent++) {
      const batch = buffer.nextBatch(maxSamples());
      if (!batch) return;
      let result: GatewayResult;
      try {
        counters.attempted(now());
        result = await breaker.execute(() => client.write(batch.series));
      } catch (error) {
        if (!(error instanceof BreakerOpenError)) throw error;
        const retryAt = breaker.retryAt();
        if (retryAt !== null) wakeAt(Math.max(retryAt + 1, now() + MIN_WAKE_MS));
        return;
      }
      if (result.kind === 'ok') {
        buffer.ack(batch.id);
        counters.succeeded('push', now());
        continue;
      }
      if (result.kind === 'aborted') return;
      failed(result);
      if (isOutage(result)) {
        const retryAt = breaker.retryAt();
        wakeAt(retryAt !== null ? Math.max(retryAt + 1, now() + MIN_WAKE_MS) : now() + retryDelayMs);
        return;
      }
      buffer.reject(batch.id);
    }
    // A long backlog: the rest follows after a short pause, not in one long burst.
    if (buffer.stats().frames > 0) wakeAt(now() + MIN_WAKE_MS);
  }

  const runner = createFlushRunner({ runOnce, now });
  const { flush, wakeAt } = runner;

  return {
    flush,
    /** Health in the same shape as the Pushgateway path: the buffer stands in for the outbox. */
    health(): DeliveryHealth {
      const stats = buffer.stats();
      return {
        configured: client.configured(),
        breaker: breaker.state(),
        breakerSince: breaker.since(),
        outboxGroups: stats.frames,
        outboxBytes: stats.bytes,
        pendingDeletes: 0,
        ...counters.get(),
        rejectedGroups: 0,
      };
    },
    restore: counters.restore,
    /** Writes the counters now. */
    persist: counters.persist,
    dispose() {
      runner.dispose();
      counters.dispose();
    },
  };
}
export type RemoteWriteDelivery = ReturnType<typeof createRemoteWriteDelivery>;
