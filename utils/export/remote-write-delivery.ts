import type { DeliveryHealth, GatewayError } from '../messaging/health';
import type { DropCounter } from '../resilience/drop-counter';
import { BreakerOpenError, type NetworkCircuitBreaker } from '../resilience/network-circuit-breaker';
import { isOutage, type GatewayResult } from './http-request';
import type { RemoteWriteClient } from './remote-write-client';
import type { SampleBuffer } from './sample-buffer';
import { createFlushRunner } from './flush-runner';

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
  now?: () => number;
  /** Most samples in one request. Default 2,000 (receivers take far more; this bounds one body). */
  maxSamplesPerRequest?: () => number;
  /** Most requests in one flush, so a replay after a long outage yields between slices. Default 20. */
  maxRequestsPerFlush?: number;
  /** Wait before retrying after a failure while the breaker stayed closed, in ms. Default 2,000. */
  retryDelayMs?: number;
}

const MIN_WAKE_MS = 50;

/** Creates the delivery. Call `flush()` after each push window was appended to the buffer. */
export function createRemoteWriteDelivery(options: RemoteWriteDeliveryOptions) {
  const { buffer, client, breaker } = options;
  const now = options.now ?? Date.now;
  const maxSamples = options.maxSamplesPerRequest ?? (() => 2_000);
  const maxRequests = options.maxRequestsPerFlush ?? 20;
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  let requestsOk = 0;
  let requestsFailed = 0;
  let samplesSent = 0;
  let lastAttemptAt: number | null = null;
  let lastSuccessAt: number | null = null;
  let lastError: GatewayError | null = null;

  function failed(result: Exclude<GatewayResult, { kind: 'ok' | 'aborted' }>): void {
    requestsFailed++;
    lastError =
      result.kind === 'http'
        ? { at: now(), kind: 'http', status: result.status, message: result.message }
        : { at: now(), kind: result.kind, message: result.message };
  }

  async function runOnce(): Promise<void> {
    if (!client.configured()) return;
    for (let sent = 0; sent < maxRequests; sent++) {
      const batch = buffer.nextBatch(maxSamples());
      if (!batch) return;
      let result: GatewayResult;
      try {
        lastAttemptAt = now();
        result = await breaker.execute(() => client.write(batch.series));
      } catch (error) {
        if (!(error instanceof BreakerOpenError)) throw error;
        const retryAt = breaker.retryAt();
        if (retryAt !== null) wakeAt(Math.max(retryAt + 1, now() + MIN_WAKE_MS));
        return;
      }
      if (result.kind === 'ok') {
        buffer.ack(batch.id);
        requestsOk++;
        samplesSent += batch.samples;
        lastSuccessAt = now();
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
        pushesOk: requestsOk,
        pushesFailed: requestsFailed,
        deletesOk: 0,
        lastAttemptAt,
        lastSuccessAt,
        lastError,
        rejectedGroups: 0,
      };
    },
    /** Samples delivered since start. */
    samplesSent: () => samplesSent,
    dispose: runner.dispose,
  };
}
export type RemoteWriteDelivery = ReturnType<typeof createRemoteWriteDelivery>;
