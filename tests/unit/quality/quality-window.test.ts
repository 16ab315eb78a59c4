import { describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_CONNECTION, createQualityWindow, snapshotRtt } from '@/utils/quality/quality-window';
import { qualityThresholdsSchema, type QualityThresholds, type StreamWindow } from '@/utils/quality/quality-types';
import type { RtcStat } from '@/utils/webrtc/report-schema';
import { loadFixture, reportTime } from '../../fixtures/load-fixture';

const T0 = 1_800_000_000_000;
const DEFAULTS = qualityThresholdsSchema.parse({});
/** G.107 Annex B by hand. */
const mosOfR = (r: number) => 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;

function engine(thresholds: QualityThresholds = DEFAULTS) {
  return createQualityWindow({ thresholds: () => thresholds });
}

type Fields = Record<string, number | string | boolean>;
const inbound = (kind: string, ssrc: number, fields: Fields = {}): RtcStat => ({ id: `I${kind}${ssrc}`, type: 'inbound-rtp', timestamp: 0, kind, ssrc, ...fields });
const outbound = (kind: string, ssrc: number, fields: Fields = {}): RtcStat => ({ id: `O${kind}${ssrc}`, type: 'outbound-rtp', timestamp: 0, kind, ssrc, ...fields });
const remoteInbound = (kind: string, ssrc: number, fields: Fields = {}): RtcStat => ({
  id: `RI${kind}${ssrc}`,
  type: 'remote-inbound-rtp',
  timestamp: 0,
  kind,
  ssrc,
  localId: `O${kind}${ssrc}`,
  ...fields,
});
/** The transport's selected pair, with an RTT it has really measured. */
const selectedPair = (rtt: number, total = rtt * 3): RtcStat[] => [
  { id: 'T', type: 'transport', timestamp: 0, selectedCandidatePairId: 'CP' },
  { id: 'CP', type: 'candidate-pair', timestamp: 0, nominated: true, state: 'succeeded', currentRoundTripTime: rtt, totalRoundTripTime: total },
];

function streamOf(window: { streams: StreamWindow[] } | null, kind: string, direction: string): StreamWindow {
  const found = window?.streams.find((s) => s.kind === kind && s.direction === direction);
  if (!found) throw new Error(`no ${kind} ${direction} stream in ${JSON.stringify(window)}`);
  return found;
}

describe('createQualityWindow', () => {
  it('has no window before the first snapshot', () => {
    expect(engine().take(T0)).toBeNull();
  });

  it('gives no rates on the first snapshot, only what one report already says', () => {
    const quality = engine();
    quality.add([inbound('audio', 1, { bytesReceived: 9_000, packetsReceived: 90, packetsLost: 3, jitter: 0.004 }), ...selectedPair(0.02)], T0);
    const window = quality.take(T0 + 10_000);
    expect(window).toMatchObject({ from: T0, to: T0, rttSeconds: 0.02, qualityClass: 'good', reasons: [] });
    expect(streamOf(window, 'audio', 'inbound')).toMatchObject({
      bitrateBps: null,
      packetRate: null,
      lossRatio: null,
      jitterSeconds: 0.004,
      mos: null,
      concealmentRatio: null,
    });
  });

  it('derives bitrate, packet rate, loss, max jitter, concealment and MOS of inbound audio over the window', () => {
    const quality = engine();
    const audio = (bytes: number, packets: number, lost: number, jitter: number, concealed: number, samples: number) =>
      inbound('audio', 1, {
        bytesReceived: bytes,
        packetsReceived: packets,
        packetsLost: lost,
        jitter,
        concealedSamples: concealed,
        totalSamplesReceived: samples,
      });
    quality.add([audio(1_000, 10, 0, 0.004, 0, 0), ...selectedPair(0.02)], T0);
    quality.add([audio(11_000, 60, 2, 0.012, 480, 96_000), ...selectedPair(0.03)], T0 + 2_000);
    quality.add([audio(21_000, 110, 5, 0.006, 960, 192_000), ...selectedPair(0.025)], T0 + 4_000);
    const window = quality.take(T0 + 4_000);

    expect(window).toMatchObject({ from: T0, to: T0 + 4_000, rttSeconds: 0.03 });
    const stream = streamOf(window, 'audio', 'inbound');
    // 20 000 bytes and 100 packets in 4 s; 5 lost of 105 expected; 960 of 192 000 samples concealed.
    expect(stream.bitrateBps).toBeCloseTo((20_000 * 8) / 4, 9);
    expect(stream.packetRate).toBeCloseTo(100 / 4, 9);
    expect(stream.lossRatio).toBeCloseTo(5 / 105, 9);
    expect(stream.jitterSeconds).toBe(0.012);
    expect(stream.concealmentRatio).toBeCloseTo(960 / 192_000, 9);
    // One way: RTT/2 15 ms + two jitters (max 12 ms) + codec 26.5 ms.
    const oneWayMs = 15 + 2 * 12 + 26.5;
    const lossPercent = (5 / 105) * 100;
    expect(stream.mos).toBeCloseTo(mosOfR(93.2 - 0.024 * oneWayMs - (95 * lossPercent) / (lossPercent + 25.1)), 9);
    // 4.8 % loss is fair (poor from 5 %); the MOS of ~3.88 is under 4.0: fair too.
    expect(window?.qualityClass).toBe('fair');
    expect(window?.reasons).toEqual(['high_loss', 'low_mos']);
  });

  it('sums simulcast layers, and takes the fastest layer’s fps, the tallest height and the strongest limitation', () => {
    const quality = engine();
    const layer = (ssrc: number, bytes: number, packets: number, frames: number, height: number, limitation: string) =>
      outbound('video', ssrc, { bytesSent: bytes, packetsSent: packets, framesEncoded: frames, frameHeight: height, qualityLimitationReason: limitation });
    const remote = (ssrc: number, lost: number) => remoteInbound('video', ssrc, { packetsLost: lost, jitter: 0.002 * ssrc - 0.02, fractionLost: 0 });
    quality.add([layer(11, 0, 0, 0, 180, 'none'), layer(12, 0, 0, 0, 360, 'none'), layer(13, 0, 0, 0, 720, 'none'), remote(11, 0), remote(12, 0), remote(13, 0)], T0);
    quality.add(
      [
        layer(11, 10_000, 20, 30, 180, 'none'),
        layer(12, 40_000, 50, 30, 360, 'none'),
        layer(13, 150_000, 150, 28, 720, 'bandwidth'),
        remote(11, 1),
        remote(12, 2),
        remote(13, 3),
      ],
      T0 + 2_000,
    );
    const stream = streamOf(quality.take(T0 + 2_000), 'video', 'outbound');
    expect(stream.bitrateBps).toBeCloseTo((200_000 * 8) / 2, 9);
    expect(stream.packetRate).toBeCloseTo(220 / 2, 9);
    // Chromium's far end does not say what it received: lost over what we sent.
    expect(stream.lossRatio).toBeCloseTo(6 / 220, 9);
    expect(stream.jitterSeconds).toBeCloseTo(0.006, 9);
    expect(stream.framesPerSecond).toBeCloseTo(30 / 2, 9);
    expect(stream.frameHeight).toBe(720);
    expect(stream.qualityLimitation).toBe('bandwidth');
    expect(stream.mos).toBeNull();
  });

  it('restarts the baseline of a stream whose counters went backwards instead of giving a negative rate', () => {
    const quality = engine();
    const audio = (bytes: number, packets: number, lost: number) => [inbound('audio', 1, { bytesReceived: bytes, packetsReceived: packets, packetsLost: lost })];
    quality.add(audio(50_000, 500, 5), T0);
    quality.add(audio(60_000, 600, 6), T0 + 1_000);
    quality.add(audio(2_000, 20, 0), T0 + 2_000); // reset: this step only sets the new baseline
    quality.add(audio(12_000, 120, 1), T0 + 3_000);
    const stream = streamOf(quality.take(T0 + 3_000), 'audio', 'inbound');
    expect(stream.bitrateBps).toBeCloseTo((20_000 * 8) / 3, 9);
    expect(stream.packetRate).toBeCloseTo(200 / 3, 9);
    expect(stream.lossRatio).toBeCloseTo(2 / 202, 9);
  });

  it('takes a new SSRC (renegotiation) as a new baseline, not as everything it carried since it started', () => {
    const quality = engine();
    quality.add([inbound('video', 1, { bytesReceived: 1_000_000, packetsReceived: 10_000, packetsLost: 0 })], T0);
    quality.add([inbound('video', 1, { bytesReceived: 1_010_000, packetsReceived: 10_100, packetsLost: 0 })], T0 + 1_000);
    quality.add([inbound('video', 2, { bytesReceived: 5_000_000, packetsReceived: 50_000, packetsLost: 400 })], T0 + 2_000);
    quality.add([inbound('video', 2, { bytesReceived: 5_010_000, packetsReceived: 50_100, packetsLost: 400 })], T0 + 3_000);
    const stream = streamOf(quality.take(T0 + 3_000), 'video', 'inbound');
    expect(stream.bitrateBps).toBeCloseTo((20_000 * 8) / 3, 9);
    expect(stream.lossRatio).toBe(0);
    expect(quality.size()).toBe(1);
  });

  it('keeps what a stream carried in the window after it disappeared', () => {
    const quality = engine();
    quality.add([inbound('video', 5, { bytesReceived: 0, packetsReceived: 0, framesDecoded: 0, totalFreezesDuration: 0 })], T0);
    quality.add([inbound('video', 5, { bytesReceived: 100_000, packetsReceived: 100, framesDecoded: 30, totalFreezesDuration: 0.1 })], T0 + 1_000);
    quality.add([...selectedPair(0.01)], T0 + 2_000);
    const window = quality.take(T0 + 2_000);
    const stream = streamOf(window, 'video', 'inbound');
    expect(stream.bitrateBps).toBeCloseTo((100_000 * 8) / 2, 9);
    expect(stream.framesPerSecond).toBeCloseTo(30 / 2, 9);
    expect(stream.frozenRatio).toBeCloseTo(0.1 / 2, 9);
    expect(quality.size()).toBe(0);
    // The next window no longer has it.
    quality.add([...selectedPair(0.01)], T0 + 3_000);
    expect(quality.take(T0 + 3_000)?.streams).toEqual([]);
  });

  it('gives no loss (null, not NaN) and zero rates when no packet moved', () => {
    const quality = engine();
    const silent = [inbound('audio', 1, { bytesReceived: 500, packetsReceived: 5, packetsLost: 0 })];
    quality.add(silent, T0);
    quality.add(silent, T0 + 5_000);
    const stream = streamOf(quality.take(T0 + 5_000), 'audio', 'inbound');
    expect(stream).toMatchObject({ bitrateBps: 0, packetRate: 0, lossRatio: null, mos: null });
  });

  it.each([
    [
      'lost over lost + received when the far end reports what it received (Firefox)',
      [remoteInbound('audio', 3, { packetsLost: 0, packetsReceived: 100 }), remoteInbound('audio', 3, { packetsLost: 4, packetsReceived: 196 })],
      4 / (4 + 96),
    ],
    [
      'lost over sent when it does not (Chromium)',
      [remoteInbound('audio', 3, { packetsLost: 0 }), remoteInbound('audio', 3, { packetsLost: 5 })],
      5 / 100,
    ],
    [
      'fractionLost when remote-inbound-rtp has no packetsLost',
      [remoteInbound('audio', 3, { fractionLost: 0.03 }), remoteInbound('audio', 3, { fractionLost: 0.0625 })],
      0.0625,
    ],
  ])('gives outbound loss as %s', (_case, [before, after], expected) => {
    const quality = engine();
    quality.add([outbound('audio', 3, { bytesSent: 0, packetsSent: 0 }), before!], T0);
    quality.add([outbound('audio', 3, { bytesSent: 8_000, packetsSent: 100 }), after!], T0 + 2_000);
    expect(streamOf(quality.take(T0 + 2_000), 'audio', 'outbound').lossRatio).toBeCloseTo(expected, 9);
  });

  it('has no outbound loss, far-end jitter or MOS without remote-inbound-rtp', () => {
    const quality = engine();
    quality.add([outbound('audio', 3, { bytesSent: 0, packetsSent: 0 })], T0);
    quality.add([outbound('audio', 3, { bytesSent: 8_000, packetsSent: 100 })], T0 + 2_000);
    expect(streamOf(quality.take(T0 + 2_000), 'audio', 'outbound')).toMatchObject({
      bitrateBps: 32_000,
      lossRatio: null,
      jitterSeconds: null,
      mos: null,
    });
  });

  it('counts freezes since each stream started, across an SSRC change and a reset, and never backwards', () => {
    const quality = engine();
    const video = (ssrc: number, packets: number, freezes: number) => [inbound('video', ssrc, { packetsReceived: packets, freezeCount: freezes })];
    quality.add(video(7, 100, 2), T0);
    quality.add(video(7, 200, 3), T0 + 1_000);
    expect(streamOf(quality.take(T0 + 1_000), 'video', 'inbound').freezesTotal).toBe(3);
    quality.add(video(8, 50, 1), T0 + 2_000); // new SSRC: its own freeze counts since it started
    quality.add(video(8, 10, 0), T0 + 3_000); // reset
    quality.add(video(8, 20, 2), T0 + 4_000);
    expect(streamOf(quality.take(T0 + 4_000), 'video', 'inbound').freezesTotal).toBe(3 + 1 + 2);
  });

  it('reports the encoder’s last limitation in the window and makes a CPU-limited window fair', () => {
    const quality = engine();
    const video = (packets: number, reason: string) => [outbound('video', 9, { bytesSent: packets * 1_000, packetsSent: packets, qualityLimitationReason: reason })];
    quality.add(video(0, 'none'), T0);
    quality.add(video(100, 'cpu'), T0 + 1_000);
    const limited = quality.take(T0 + 1_000);
    expect(streamOf(limited, 'video', 'outbound').qualityLimitation).toBe('cpu');
    expect(limited).toMatchObject({ qualityClass: 'fair', reasons: ['cpu_limited'] });
    quality.add(video(200, 'cpu'), T0 + 2_000);
    quality.add(video(300, 'none'), T0 + 3_000);
    expect(streamOf(quality.take(T0 + 3_000), 'video', 'outbound').qualityLimitation).toBe('none');
  });

  it('starts each window at the last snapshot of the previous one', () => {
    const quality = engine();
    const audio = (bytes: number) => [inbound('audio', 1, { bytesReceived: bytes, packetsReceived: bytes / 100, packetsLost: 0 })];
    quality.add(audio(0), T0);
    quality.add(audio(10_000), T0 + 1_000);
    quality.add(audio(20_000), T0 + 2_000);
    expect(streamOf(quality.take(T0 + 2_000), 'audio', 'inbound').bitrateBps).toBeCloseTo(80_000, 9);
    quality.add(audio(50_000), T0 + 3_000);
    quality.add(audio(80_000), T0 + 4_000);
    const second = quality.take(T0 + 4_000);
    expect(second).toMatchObject({ from: T0 + 2_000, to: T0 + 4_000 });
    expect(streamOf(second, 'audio', 'inbound').bitrateBps).toBeCloseTo((60_000 * 8) / 2, 9);
  });

  it('gives an empty, good window when nothing was added since the last take', () => {
    const quality = engine();
    quality.add([inbound('audio', 1, { packetsReceived: 10 }), ...selectedPair(0.5)], T0);
    quality.take(T0);
    expect(quality.take(T0 + 10_000)).toEqual({ from: T0, to: T0, rttSeconds: null, streams: [], qualityClass: 'good', reasons: [] });
  });

  it('remembers the worst class of every window taken as the call’s final class', () => {
    const quality = engine();
    expect(quality.worstClass()).toBe('good');
    const audio = (packets: number, lost: number) => [inbound('audio', 1, { packetsReceived: packets, packetsLost: lost })];
    quality.add(audio(0, 0), T0);
    quality.add(audio(90, 10), T0 + 1_000);
    expect(quality.take(T0 + 1_000)?.qualityClass).toBe('poor');
    quality.add(audio(190, 10), T0 + 2_000);
    expect(quality.take(T0 + 2_000)?.qualityClass).toBe('good');
    expect(quality.worstClass()).toBe('poor');
  });

  it('classifies with the thresholds of the moment it takes the window', () => {
    let thresholds = DEFAULTS;
    const quality = createQualityWindow({ thresholds: () => thresholds });
    quality.add([...selectedPair(0.3)], T0);
    expect(quality.take(T0)?.qualityClass).toBe('fair');
    thresholds = { ...DEFAULTS, rttFairSeconds: 0.5, rttPoorSeconds: 1 };
    quality.add([...selectedPair(0.3)], T0 + 1_000);
    expect(quality.take(T0 + 1_000)?.qualityClass).toBe('good');
  });

  it(`follows at most ${MAX_STREAMS_PER_CONNECTION} SSRCs and counts every one it leaves out`, () => {
    const quality = engine();
    const flood = Array.from({ length: 100 }, (_, i) => inbound('audio', i + 1, { packetsReceived: 10 }));
    quality.add(flood, T0);
    expect(quality.size()).toBe(MAX_STREAMS_PER_CONNECTION);
    expect(quality.droppedStreams()).toBe(100 - MAX_STREAMS_PER_CONNECTION);
  });

  it('ignores gauges no browser can give: negative jitter, height or fps, fractionLost over 1', () => {
    const quality = engine();
    quality.add(
      [
        inbound('video', 1, { jitter: -4, frameHeight: -1, framesPerSecond: -30 }),
        outbound('audio', 2, { packetsSent: 10 }),
        remoteInbound('audio', 2, { fractionLost: 50, jitter: -1 }),
      ],
      T0,
    );
    const window = quality.take(T0);
    expect(streamOf(window, 'video', 'inbound')).toMatchObject({ jitterSeconds: null, frameHeight: null, framesPerSecond: null });
    expect(streamOf(window, 'audio', 'outbound')).toMatchObject({ lossRatio: null, jitterSeconds: null, mos: null });
  });

  it('ignores RTP stats of unknown kinds and counters that are not numbers', () => {
    const quality = engine();
    quality.add([inbound('holo', 1, { bytesReceived: 1 }), inbound('audio', 2, { bytesReceived: 'lots', packetsReceived: 1 })], T0);
    quality.add([inbound('holo', 1, { bytesReceived: 9 }), inbound('audio', 2, { bytesReceived: 'more', packetsReceived: 51 })], T0 + 1_000);
    const window = quality.take(T0 + 1_000);
    expect(window?.streams.map((s) => s.kind)).toEqual(['audio']);
    expect(streamOf(window, 'audio', 'inbound')).toMatchObject({ bitrateBps: 0, packetRate: 50 });
  });
});

describe('snapshotRtt', () => {
  it.each([
    ['the transport’s selected pair', [...selectedPair(0.042), { id: 'old', type: 'candidate-pair', timestamp: 0, nominated: true, state: 'succeeded', currentRoundTripTime: 0.9, totalRoundTripTime: 1 }], 0.042],
    [
      'a pair marked selected when no transport names one (Firefox)',
      [
        { id: 'a', type: 'candidate-pair', timestamp: 0, selected: false, nominated: true, state: 'succeeded', currentRoundTripTime: 0.5, totalRoundTripTime: 1 },
        { id: 'b', type: 'candidate-pair', timestamp: 0, selected: true, nominated: true, state: 'succeeded', currentRoundTripTime: 0.03, totalRoundTripTime: 0.1 },
      ],
      0.03,
    ],
    [
      'the nominated pair that received last otherwise',
      [
        { id: 'a', type: 'candidate-pair', timestamp: 0, nominated: true, state: 'succeeded', currentRoundTripTime: 0.5, totalRoundTripTime: 1, lastPacketReceivedTimestamp: 10 },
        { id: 'b', type: 'candidate-pair', timestamp: 0, nominated: true, state: 'succeeded', currentRoundTripTime: 0.07, totalRoundTripTime: 1, lastPacketReceivedTimestamp: 20 },
      ],
      0.07,
    ],
    ['remote-inbound-rtp when the pair measured nothing (Firefox’s 0)', [...selectedPair(0, 0), remoteInbound('video', 1, { roundTripTime: 0.08 }), remoteInbound('audio', 2, { roundTripTime: 0.06 })], 0.08],
    ['nothing when nobody measured', [inbound('audio', 1)], null],
  ])('takes %s', (_case, stats, expected) => {
    expect(snapshotRtt(stats as RtcStat[])).toBe(expected);
  });
});

describe('createQualityWindow on recorded calls', () => {
  function windowOf(name: 'chromium-av-loopback' | 'chromium-impaired-loopback' | 'firefox-av-loopback', role: 'caller' | 'callee') {
    const pc = loadFixture(name).pcs.find((p) => p.role === role)!;
    const quality = engine();
    for (const stats of pc.samples ?? [pc.stats]) quality.add(stats, reportTime(stats));
    return quality.take(reportTime(pc.stats))!;
  }

  it('rates the clean Chromium call good, with the rates of its two samples 2 s apart', () => {
    const window = windowOf('chromium-av-loopback', 'caller');
    expect(window).toMatchObject({ qualityClass: 'good', reasons: [], rttSeconds: 0.002 });
    const seconds = (1795891679683.554 - 1795891677678.689) / 1000;
    const audioIn = streamOf(window, 'audio', 'inbound');
    // bytesReceived 1010 → 6204, packetsReceived 25 → 125, packetsLost 0 → 0.
    expect(audioIn.bitrateBps).toBeCloseTo(((6204 - 1010) * 8) / seconds, 6);
    expect(audioIn.packetRate).toBeCloseTo((125 - 25) / seconds, 6);
    expect(audioIn.lossRatio).toBe(0);
    expect(audioIn.mos).toBeGreaterThan(4.2);
    // framesDecoded 8 → 49.
    expect(streamOf(window, 'video', 'inbound').framesPerSecond).toBeCloseTo((49 - 8) / seconds, 6);
    expect(streamOf(window, 'video', 'outbound')).toMatchObject({ frameHeight: 480, qualityLimitation: 'none', lossRatio: 0 });
    for (const stream of window.streams) expect(stream.lossRatio).toBe(0);
  });

  it.each([
    // [role, inbound audio lost / received deltas over the ten samples, highest selected-pair RTT]
    ['caller', 29 - 12, 756 - 290, 0.403],
    ['callee', 34 - 11, 743 - 282, 0.445],
  ] as const)('rates the impaired call of the %s poor for high loss, with loss near 5 %% and RTT ~0.35 s', (role, lost, received, rtt) => {
    const window = windowOf('chromium-impaired-loopback', role);
    expect(window.to - window.from).toBeGreaterThan(9_000);
    expect(window.rttSeconds).toBe(rtt);
    const audioIn = streamOf(window, 'audio', 'inbound');
    expect(audioIn.lossRatio).toBeCloseTo(lost / (lost + received), 9);
    for (const stream of window.streams) {
      expect(stream.lossRatio).toBeGreaterThan(0.03);
      expect(stream.lossRatio).toBeLessThan(0.07);
    }
    expect(audioIn.mos).toBeLessThan(3.6);
    expect(streamOf(window, 'audio', 'outbound').mos).toBeLessThan(3.6);
    expect(audioIn.concealmentRatio).toBeGreaterThan(0.02);
    expect(window.qualityClass).toBe('poor');
    expect(window.reasons).toEqual(expect.arrayContaining(['high_loss', 'high_rtt', 'low_mos']));
  });

  it('reads Firefox’s single report: RTT from remote-inbound-rtp (its pair says 0), no rates yet, the browser’s own fps', () => {
    const window = windowOf('firefox-av-loopback', 'caller');
    expect(window.rttSeconds).toBe(0.002975);
    expect(window.qualityClass).toBe('good');
    const videoIn = streamOf(window, 'video', 'inbound');
    expect(videoIn).toMatchObject({ bitrateBps: null, lossRatio: null, framesPerSecond: 30, frameHeight: 480, freezesTotal: 0 });
    // Firefox has no qualityLimitationReason.
    expect(streamOf(window, 'video', 'outbound')).toMatchObject({ qualityLimitation: null, lossRatio: 0 });
    expect(streamOf(window, 'audio', 'outbound').mos).toBeGreaterThan(4.2);
  });
});
