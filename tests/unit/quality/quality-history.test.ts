import { describe, expect, it } from 'vitest';
import { createQualityHistory } from '@/utils/quality/quality-history';
import type { RtcStat } from '@/utils/webrtc/report-schema';

const report = (at: number, bytesIn: number, bytesOut: number, received: number, lost: number): RtcStat[] => [
  { id: 'in', type: 'inbound-rtp', timestamp: at, kind: 'audio', ssrc: 1, bytesReceived: bytesIn, packetsReceived: received, packetsLost: lost, jitter: 0.004 },
  { id: 'out', type: 'outbound-rtp', timestamp: at, kind: 'audio', ssrc: 2, bytesSent: bytesOut, packetsSent: received },
  { id: 'cp', type: 'candidate-pair', timestamp: at, nominated: true, state: 'succeeded', currentRoundTripTime: 0.02, totalRoundTripTime: 0.1 },
];

function pointsAfter(reports: Array<[RtcStat[], number]>) {
  const history = createQualityHistory({ maxPointsPerGroup: 10, maxGroups: 10 });
  for (const [stats, at] of reports) history.record('g', stats, at);
  return history.points('g');
}

describe('createQualityHistory', () => {
  it('charts bitrates in bits per second and loss over each poll', () => {
    expect(pointsAfter([[report(0, 0, 0, 0, 0), 0], [report(2000, 25_000, 50_000, 90, 10), 2000]])).toEqual([
      { at: 2000, bitrateInBps: 100_000, bitrateOutBps: 200_000, lossPercent: 10, rttSeconds: 0.02, jitterSeconds: 0.004 },
    ]);
  });

  it('shows the far end’s loss and jitter for a connection that only sends, and 0 coming in', () => {
    const sending = (at: number, bytesOut: number): RtcStat[] => [
      { id: 'out', type: 'outbound-rtp', timestamp: at, kind: 'audio', ssrc: 2, bytesSent: bytesOut, packetsSent: bytesOut / 100 },
      { id: 'ri', type: 'remote-inbound-rtp', timestamp: at, kind: 'audio', ssrc: 2, localId: 'out', fractionLost: 0.05, jitter: 0.012, roundTripTime: 0.03 },
    ];
    const [point] = pointsAfter([[sending(0, 0), 0], [sending(1000, 1000), 1000]]);
    expect(point).toMatchObject({ lossPercent: 5, jitterSeconds: 0.012, rttSeconds: 0.03, bitrateOutBps: 8000, bitrateInBps: 0 });
  });

  it('gives no rate when a counter went backwards (a restarted stream)', () => {
    const [point] = pointsAfter([[report(0, 10_000, 10_000, 10, 0), 0], [report(1000, 5_000, 20_000, 5, 0), 1000]]);
    expect(point?.bitrateInBps).toBeNull();
    expect(point?.bitrateOutBps).toBeNull();
  });

  it('keeps at most the configured points per connection, newest last', () => {
    const history = createQualityHistory({ maxPointsPerGroup: 3, maxGroups: 10 });
    for (let i = 0; i <= 5; i++) history.record('g', report(i * 1000, i * 1000, 0, i, 0), i * 1000);
    expect(history.points('g').map((p) => p.at)).toEqual([3000, 4000, 5000]);
  });

  it('forgets the oldest connection when the connection cap is reached', () => {
    const history = createQualityHistory({ maxPointsPerGroup: 3, maxGroups: 2 });
    for (const id of ['a', 'b', 'c']) history.record(id, report(0, 0, 0, 0, 0), 0);
    expect(history.size()).toBe(2);
    history.record('a', report(1000, 1, 1, 1, 0), 1000);
    expect(history.points('a')).toEqual([]);
  });
});
