import { describe, expect, it } from 'vitest';
import { encodeRemoteWriteBody, encodeWriteRequest, type RemoteWriteSeries } from '../../../utils/export/remote-write-encoder';
import { decodeRemoteWriteBody, decodeWriteRequest } from './remote-write-decoder';

const SERIES: RemoteWriteSeries[] = [
  {
    name: 'webrtc_packet_loss_ratio',
    labels: { peer_connection_id: 'pc-1', kind: 'audio', direction: 'inbound', agent_id: 'agent "7" ✓' },
    samples: [
      { value: 0.05, timestampMs: 1_764_626_400_000 },
      { value: 0.0125, timestampMs: 1_764_626_410_000 },
    ],
  },
  { name: 'webrtc_round_trip_time_seconds', labels: {}, samples: [{ value: 0.347, timestampMs: 1_764_626_400_123 }] },
];

describe('encodeWriteRequest', () => {
  it('round-trips names, labels and samples with their millisecond timestamps', () => {
    const decoded = decodeWriteRequest(encodeWriteRequest(SERIES));
    expect(decoded.map(({ name, samples }) => ({ name, samples }))).toEqual(SERIES.map(({ name, samples }) => ({ name, samples })));
    expect(decoded[0]!.labels).toMatchObject(SERIES[0]!.labels);
  });

  it('writes label names sorted, with __name__ among them, as receivers require', () => {
    const [first, second] = decodeWriteRequest(encodeWriteRequest(SERIES));
    expect(first!.labels.__order__).toBe('__name__,agent_id,direction,kind,peer_connection_id');
    expect(second!.labels.__order__).toBe('__name__');
  });

  it('gives an empty request for no series', () => {
    expect(encodeWriteRequest([])).toHaveLength(0);
  });

  it.each([
    ['NaN', Number.NaN],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['a negative value', -1.5],
  ])('keeps %s as an IEEE double', (_name, value) => {
    const [series] = decodeWriteRequest(encodeWriteRequest([{ name: 'x', labels: {}, samples: [{ value, timestampMs: 1 }] }]));
    expect(Object.is(series!.samples[0]!.value, value)).toBe(true);
  });
});

describe('encodeRemoteWriteBody', () => {
  it('snappy-compresses the request so a receiver can read it back', () => {
    const body = encodeRemoteWriteBody(SERIES);
    expect(decodeRemoteWriteBody(body).map((series) => series.name)).toEqual(SERIES.map((series) => series.name));
  });

  it('is smaller than the protobuf for repetitive label sets', () => {
    const many: RemoteWriteSeries[] = Array.from({ length: 50 }, (_, index) => ({
      name: 'webrtc_bitrate_bytes_per_second',
      labels: { peer_connection_id: 'pc-1', kind: index % 2 ? 'audio' : 'video', direction: 'inbound', agent_id: 'agent-7' },
      samples: [{ value: index * 1000, timestampMs: 1_764_626_400_000 + index * 10_000 }],
    }));
    expect(encodeRemoteWriteBody(many).length).toBeLessThan(encodeWriteRequest(many).length / 2);
  });
});
