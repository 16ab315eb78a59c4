import type { ConnectionPoint } from '../messaging/ui-types';
import type { RtcStat } from '../webrtc/report-schema';
import { numberField as num } from './stat-fields';

/** Cumulative totals of one report that the headline figures are derived from. */
export interface QualityTotals {
  at: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsLost: number;
  rttSeconds: number | null;
  jitterSeconds: number | null;
  /** What the far end reports about what we send (remote-inbound-rtp): for a connection that only sends. */
  remoteLossRatio: number | null;
  remoteJitterSeconds: number | null;
}

/** Sums what the popup's charts need from one report of a connection. */
export function qualityTotals(stats: RtcStat[], at: number): QualityTotals {
  const totals: QualityTotals = {
    at,
    bytesIn: 0,
    bytesOut: 0,
    packetsIn: 0,
    packetsLost: 0,
    rttSeconds: null,
    jitterSeconds: null,
    remoteLossRatio: null,
    remoteJitterSeconds: null,
  };
  const jitters: number[] = [];
  for (const stat of stats) {
    if (stat.type === 'inbound-rtp') {
      totals.bytesIn += num(stat, 'bytesReceived') ?? 0;
      totals.packetsIn += num(stat, 'packetsReceived') ?? 0;
      totals.packetsLost += Math.max(0, num(stat, 'packetsLost') ?? 0);
      const jitter = num(stat, 'jitter');
      if (jitter !== undefined) jitters.push(jitter);
    } else if (stat.type === 'outbound-rtp') {
      totals.bytesOut += num(stat, 'bytesSent') ?? 0;
    } else if (stat.type === 'candidate-pair' && (stat.nominated === true || stat.state === 'succeeded')) {
      const rtt = num(stat, 'currentRoundTripTime');
      if (rtt !== undefined) totals.rttSeconds = Math.max(totals.rttSeconds ?? 0, rtt);
    } else if (stat.type === 'remote-inbound-rtp') {
      const rtt = num(stat, 'roundTripTime');
      if (rtt !== undefined && totals.rttSeconds === null) totals.rttSeconds = rtt;
      const lost = num(stat, 'fractionLost');
      if (lost !== undefined) totals.remoteLossRatio = Math.max(totals.remoteLossRatio ?? 0, lost);
      const jitter = num(stat, 'jitter');
      if (jitter !== undefined) totals.remoteJitterSeconds = Math.max(totals.remoteJitterSeconds ?? 0, jitter);
    }
  }
  if (jitters.length) totals.jitterSeconds = Math.max(...jitters);
  return totals;
}

/** The chart point between two successive totals: rates per second and loss over the interval. */
export function qualityPoint(previous: QualityTotals | undefined, current: QualityTotals): ConnectionPoint {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const rate = (now: number, before: number | undefined) =>
    previous && seconds > 0 && before !== undefined && now >= before ? ((now - before) * 8) / seconds : null;
  let lossPercent: number | null = null;
  if (previous) {
    const received = current.packetsIn - previous.packetsIn;
    const lost = current.packetsLost - previous.packetsLost;
    if (received + lost > 0 && lost >= 0) lossPercent = (lost / (received + lost)) * 100;
  }
  // A connection that only sends has no inbound stream: show what the far end reports instead.
  if (lossPercent === null && current.packetsIn === 0 && current.remoteLossRatio !== null) {
    lossPercent = current.remoteLossRatio * 100;
  }
  return {
    at: current.at,
    bitrateInBps: rate(current.bytesIn, previous?.bytesIn),
    bitrateOutBps: rate(current.bytesOut, previous?.bytesOut),
    lossPercent,
    rttSeconds: current.rttSeconds,
    jitterSeconds: current.jitterSeconds ?? current.remoteJitterSeconds,
  };
}
