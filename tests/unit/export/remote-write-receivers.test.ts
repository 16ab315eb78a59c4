import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS, type RemoteWriteSeries } from '../../../utils/export/remote-write-encoder';
import {
  startPrometheusReceiver,
  startVictoriaMetrics,
  type RemoteWriteReceiver,
} from '../../e2e/support/remote-write-receivers';

// Real receivers, not mocks: the bodies this product sends must be read by the stores operators run.
describe.each([
  ['Prometheus 2.42 (--web.enable-remote-write-receiver)', startPrometheusReceiver],
  ['VictoriaMetrics', startVictoriaMetrics],
])('remote-write into %s', (_name, start) => {
  let receiver: RemoteWriteReceiver;
  beforeAll(async () => {
    receiver = await start();
  }, 60_000);
  afterAll(async () => {
    await receiver?.stop();
  });

  it('stores every sample with the timestamp it was measured at', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 120_000;
    const series: RemoteWriteSeries[] = [
      {
        name: 'webrtc_packet_loss_ratio',
        labels: { job: 'webrtc', agent_id: 'agent-7', peer_connection_id: 'pc-1', kind: 'audio', direction: 'inbound' },
        samples: [0, 1, 2, 3].map((i) => ({ value: 0.01 * i, timestampMs: t0 + i * 10_000 })),
      },
    ];
    const response = await fetch(receiver.writeUrl, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: encodeRemoteWriteBody(series) as Uint8Array<ArrayBuffer> });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);

    await receiver.flush();
    const results = await receiver.queryRange('webrtc_packet_loss_ratio{agent_id="agent-7"}', t0 / 1000, t0 / 1000 + 30, 10);
    expect(results).toHaveLength(1);
    expect(results[0]!.metric).toMatchObject({ __name__: 'webrtc_packet_loss_ratio', kind: 'audio', peer_connection_id: 'pc-1' });
    expect(results[0]!.values.map(([at, value]) => [at * 1000 - t0, Number(value)])).toEqual([
      [0, 0],
      [10_000, 0.01],
      [20_000, 0.02],
      [30_000, 0.03],
    ]);
  });

  it('answers a body that is not snappy protobuf with a 4xx, not a 5xx', async () => {
    const response = await fetch(receiver.writeUrl, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: 'not protobuf' });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
