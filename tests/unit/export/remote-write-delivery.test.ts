import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import { createNetworkCircuitBreaker } from '../../../utils/resilience/network-circuit-breaker';
import { reliabilitySchema } from '../../../utils/settings/settings-schema';
import { createRemoteWriteClient } from '../../../utils/export/remote-write-client';
import { createRemoteWriteDelivery, REMOTE_WRITE_DELIVERY_STORAGE_KEY, REMOTE_WRITE_STATS_CORRUPT } from '../../../utils/export/remote-write-delivery';
import { createSampleBuffer, SAMPLE_BUFFER_DROPS } from '../../../utils/export/sample-buffer';
import type { FetchLike } from '../../../utils/export/http-request';
import { createMemoryArea } from '../integrity/memory-area';
import { decodeRemoteWriteBody } from './remote-write-decoder';
import { startPrometheusReceiver, type RemoteWriteReceiver } from '../../e2e/support/remote-write-receivers';

const T = Date.now();
const SETTINGS = reliabilitySchema.parse({ breakerFailureThreshold: 2, halfOpenInitialDelayMs: 100, halfOpenMaxDelayMs: 200, requestTimeoutMs: 2_000 });

function setup(url: () => string, fetchImpl?: FetchLike, memory = createMemoryArea()) {
  const drops = createDropCounter();
  const buffer = createSampleBuffer({ area: memory.area, limits: () => ({ maxBytes: 5_000_000, maxAgeMs: 3_600_000 }), drops });
  const breaker = createNetworkCircuitBreaker({ area: memory.area, settings: SETTINGS, random: () => 0 });
  const client = createRemoteWriteClient(() => ({ url: url(), username: 'agent', password: 's3cret', bearerToken: '', timeoutMs: 2_000 }), fetchImpl);
  const delivery = createRemoteWriteDelivery({ buffer, client, breaker, drops, area: memory.area, maxSamplesPerRequest: () => 3, retryDelayMs: 100 });
  return { buffer, breaker, delivery, drops, memory };
}

describe('createRemoteWriteDelivery', () => {
  it('sends batches oldest first with the protocol headers and basic auth', async () => {
    const bodies: { headers: Record<string, string>; first: number }[] = [];
    const fetchImpl: FetchLike = async (_url, init) => {
      const series = decodeRemoteWriteBody(init.body as Uint8Array);
      bodies.push({ headers: init.headers as Record<string, string>, first: series[0]!.samples[0]!.timestampMs });
      return new Response(null, { status: 204 });
    };
    const { buffer, delivery } = setup(() => 'http://receiver.test/api/v1/write', fetchImpl);
    for (let i = 0; i < 4; i++) buffer.append(T + i, [{ name: 'a', labels: {}, value: i }, { name: 'b', labels: {}, value: i }]);
    await delivery.flush();
    expect(bodies.map((body) => body.first)).toEqual([T, T + 1, T + 2, T + 3]);
    expect(bodies[0]!.headers).toMatchObject({
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      Authorization: `Basic ${btoa('agent:s3cret')}`,
    });
    expect(buffer.stats().frames).toBe(0);
    expect(delivery.health()).toMatchObject({ pushesOk: 4, pushesFailed: 0 });
  });

  it('drops a batch the receiver refuses with a 4xx, shows its message and goes on with the rest', async () => {
    let calls = 0;
    const fetchImpl: FetchLike = async () =>
      ++calls === 1 ? new Response('out of bounds', { status: 400 }) : new Response(null, { status: 204 });
    const { buffer, delivery, drops } = setup(() => 'http://receiver.test/api/v1/write', fetchImpl);
    buffer.append(T, [{ name: 'a', labels: {}, value: 1 }, { name: 'b', labels: {}, value: 1 }]);
    buffer.append(T + 1_000, [{ name: 'a', labels: {}, value: 2 }, { name: 'b', labels: {}, value: 2 }]);
    await delivery.flush();
    expect(calls).toBe(2);
    expect(drops.snapshot()[SAMPLE_BUFFER_DROPS.rejected]).toBe(2);
    expect(delivery.health().lastError).toMatchObject({ kind: 'http', status: 400, message: 'out of bounds' });
    expect(buffer.stats().frames).toBe(0);
  });

  it('keeps the batch on a 503 and stops this flush', async () => {
    let calls = 0;
    const fetchImpl: FetchLike = async () => (calls++, new Response('busy', { status: 503 }));
    const { buffer, delivery } = setup(() => 'http://receiver.test/api/v1/write', fetchImpl);
    buffer.append(T, [{ name: 'a', labels: {}, value: 1 }]);
    buffer.append(T + 1_000, [{ name: 'a', labels: {}, value: 2 }]);
    await delivery.flush();
    delivery.dispose();
    expect(calls).toBe(1);
    expect(buffer.stats().frames).toBe(2);
  });

  it('keeps its counts and last error across a worker restart, and counts unreadable stored counts', async () => {
    let status = 204;
    const fetchImpl: FetchLike = async () => new Response(status === 204 ? null : 'bad label', { status });
    const first = setup(() => 'http://receiver.test/api/v1/write', fetchImpl);
    first.buffer.append(T, [{ name: 'a', labels: {}, value: 1 }]);
    await first.delivery.flush();
    status = 400;
    first.buffer.append(T + 1_000, [{ name: 'a', labels: {}, value: 2 }]);
    await first.delivery.flush();
    await first.delivery.persist();
    first.delivery.dispose();

    // A new worker on the same storage.
    const second = setup(() => 'http://receiver.test/api/v1/write', fetchImpl, first.memory);
    await second.delivery.restore();
    expect(second.delivery.health()).toMatchObject({ pushesOk: 1, pushesFailed: 1, lastError: { kind: 'http', status: 400, message: 'bad label' } });
    second.delivery.dispose();

    first.memory.data.set(REMOTE_WRITE_DELIVERY_STORAGE_KEY, { pushesOk: 'lots' });
    const third = setup(() => 'http://receiver.test/api/v1/write', fetchImpl, first.memory);
    await third.delivery.restore();
    expect(third.delivery.health()).toMatchObject({ pushesOk: 0, pushesFailed: 0, lastError: null });
    expect(third.drops.snapshot()[REMOTE_WRITE_STATS_CORRUPT]).toBe(1);
    third.delivery.dispose();
  });

  describe('against a real Prometheus that goes away and comes back', () => {
    let receiver: RemoteWriteReceiver;
    beforeAll(async () => {
      receiver = await startPrometheusReceiver();
    }, 60_000);
    afterAll(async () => {
      await receiver?.stop();
    });

    it('replays every sample of the outage with its own timestamp, leaving no gap', async () => {
      const { buffer, delivery, breaker } = setup(() => receiver.writeUrl);
      const t0 = Math.floor(Date.now() / 1000) * 1000 - 300_000;
      const windowAt = (i: number) => t0 + i * 10_000;
      const windowRows = (i: number) => [{ name: 'webrtc_round_trip_time_seconds', labels: { peer_connection_id: 'pc-outage' }, value: i / 100 }];
      for (let i = 0; i < 5; i++) buffer.append(windowAt(i), windowRows(i));
      await delivery.flush();
      await receiver.kill();
      for (let i = 5; i < 20; i++) {
        buffer.append(windowAt(i), windowRows(i));
        await delivery.flush();
      }
      expect(breaker.state()).toBe('open');
      expect(buffer.stats().samples).toBe(15);
      await receiver.restart();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await delivery.flush();
      for (let i = 0; i < 20 && buffer.stats().frames > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await delivery.flush();
      }
      delivery.dispose();
      expect(buffer.stats().frames).toBe(0);
      const [series] = await receiver.queryRange('webrtc_round_trip_time_seconds{peer_connection_id="pc-outage"}', t0 / 1000, t0 / 1000 + 190, 10);
      expect(series!.values.map(([, value]) => Number(value))).toEqual(Array.from({ length: 20 }, (_, i) => i / 100));
    }, 60_000);
  });
});
