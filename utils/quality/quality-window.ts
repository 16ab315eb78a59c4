import type { RtcStat } from '../webrtc/report-schema';
import { audioMos } from './mos';
import { classifyWindow, worseClass } from './quality-class';
import type {
  ConnectionWindow,
  Direction,
  MediaKind,
  QualityClass,
  QualityLimitation,
  QualityThresholds,
  StreamWindow,
} from './quality-types';
import { numberField } from './stat-fields';
import { selectedCandidatePairs } from './selected-pair';

/**
 * Most RTP streams (SSRCs) of one connection whose baselines are kept. A real call has a handful
 * (simulcast: 3 per video sender); a page can claim thousands in one report. Streams past the cap
 * still count as present, with their gauges, but add no deltas; each one is counted in
 * `droppedStreams()`.
 */
export const MAX_STREAMS_PER_CONNECTION = 64;

type StreamKey = `${MediaKind}-${Direction}`;

/** Output order of a window's streams: audio before video, inbound before outbound. */
const STREAM_ORDER: ReadonlyArray<readonly [MediaKind, Direction]> = [
  ['audio', 'inbound'],
  ['audio', 'outbound'],
  ['video', 'inbound'],
  ['video', 'outbound'],
];

/** The cumulative counters of one RTP stream in one snapshot (undefined: the browser did not give it). */
interface Counters {
  packets?: number;
  bytes?: number;
  /** Inbound: packetsLost. */
  lost?: number;
  /** framesDecoded (inbound) or framesEncoded (outbound). */
  frames?: number;
  freezeSeconds?: number;
  freezeCount?: number;
  concealed?: number;
  samples?: number;
  /** Outbound: the far end's packetsLost / packetsReceived (remote-inbound-rtp; packetsReceived is Firefox only). */
  remoteLost?: number;
  remoteReceived?: number;
}

/** What is kept per SSRC: its last counters (the baseline of the next delta) and its share of the window. */
interface SsrcState {
  key: StreamKey;
  last: Counters;
  windowFrames: number;
  framesCounted: boolean;
  windowFrozenSeconds: number;
  frozenCounted: boolean;
}

/** Running aggregates of one kind+direction over the current window (all SSRCs combined). */
interface StreamAggregate {
  present: boolean;
  /** Whether any SSRC gave a byte or packet delta (rates are null until one did). */
  counted: boolean;
  bytes: number;
  packets: number;
  lost: number;
  received: number;
  remoteLost: number;
  remoteReceived: number;
  remoteLostOfSent: number;
  sent: number;
  maxFractionLost: number | null;
  maxJitter: number | null;
  concealed: number;
  samples: number;
  /** Largest frame / frozen-time count of SSRCs that disappeared during the window. */
  goneFrames: number | null;
  goneFrozenSeconds: number | null;
  lastFps: number | null;
  frameHeight: number | null;
  limitation: QualityLimitation | null;
}

function emptyAggregate(): StreamAggregate {
  return {
    present: false,
    counted: false,
    bytes: 0,
    packets: 0,
    lost: 0,
    received: 0,
    remoteLost: 0,
    remoteReceived: 0,
    remoteLostOfSent: 0,
    sent: 0,
    maxFractionLost: null,
    maxJitter: null,
    concealed: 0,
    samples: 0,
    goneFrames: null,
    goneFrozenSeconds: null,
    lastFps: null,
    frameHeight: null,
    limitation: null,
  };
}

function emptyAggregates(): Record<StreamKey, StreamAggregate> {
  return {
    'audio-inbound': emptyAggregate(),
    'audio-outbound': emptyAggregate(),
    'video-inbound': emptyAggregate(),
    'video-outbound': emptyAggregate(),
  };
}

const maxOf = (a: number | null, b: number | undefined | null): number | null =>
  b === undefined || b === null ? a : a === null ? b : Math.max(a, b);

/** A gauge as a page may send it: only values a browser can give count (no negative jitter, no loss over 1). */
const within = (value: number | undefined, max = Number.POSITIVE_INFINITY): number | undefined =>
  value !== undefined && value >= 0 && value <= max ? value : undefined;

const delta = (now: number | undefined, before: number | undefined): number | undefined =>
  now === undefined || before === undefined ? undefined : now - before;

function mediaKind(stat: RtcStat): MediaKind | undefined {
  const kind = stat.kind ?? stat.mediaType;
  return kind === 'audio' || kind === 'video' ? kind : undefined;
}

const LIMITATION_RANK: Record<QualityLimitation, number> = { none: 0, other: 1, bandwidth: 2, cpu: 3 };

function limitationOf(stat: RtcStat): QualityLimitation | undefined {
  const reason = stat.qualityLimitationReason;
  if (typeof reason !== 'string') return undefined;
  // Any other string is a reason the spec may add later: "other", never a new label value.
  return reason === 'none' || reason === 'cpu' || reason === 'bandwidth' ? reason : 'other';
}

/**
 * Round-trip time of one snapshot, seconds: the selected candidate pair's `currentRoundTripTime`
 * (selectedCandidatePairs), else the highest remote-inbound-rtp `roundTripTime`.
 * A pair whose `totalRoundTripTime` is 0 has measured nothing: Firefox reports
 * `currentRoundTripTime: 0` there, which is not a 0 ms path.
 */
export function snapshotRtt(stats: readonly RtcStat[]): number | null {
  let rtt: number | null = null;
  for (const pair of selectedCandidatePairs(stats)) {
    const current = numberField(pair, 'currentRoundTripTime');
    const total = numberField(pair, 'totalRoundTripTime');
    const measured = total === undefined ? (current ?? 0) > 0 : total > 0;
    if (current !== undefined && current >= 0 && measured) rtt = maxOf(rtt, current);
  }
  if (rtt !== null) return rtt;
  for (const stat of stats) {
    if (stat.type !== 'remote-inbound-rtp') continue;
    const value = numberField(stat, 'roundTripTime');
    if (value !== undefined && value >= 0) rtt = maxOf(rtt, value);
  }
  return rtt;
}

/** Options of {@link createQualityWindow}. */
export interface QualityWindowOptions {
  /** The current thresholds (read at each take, so a settings change applies to the next window). */
  thresholds: () => QualityThresholds;
}

/**
 * The quality engine of one connection: feed it every getStats() snapshot with `add`, and at each
 * push `take` the values of the window since the previous take (see docs/metrics.md for each
 * value). Memory is bounded: per SSRC only its last counters and two window sums, per
 * kind+direction one set of running aggregates; snapshots themselves are never kept.
 *
 * Deltas are taken between successive snapshots of the same SSRC and summed, so a stream that
 * disappears mid-window still counts for what it carried, simulcast layers add up, and a counter
 * that goes backwards (a reset, a renegotiated stream reusing its SSRC) or an SSRC seen for the
 * first time only sets a new baseline: never a negative or since-the-call-started value.
 * Times come from `at` (the background's clock), not from the page-supplied stat timestamps.
 */
export function createQualityWindow(options: QualityWindowOptions) {
  const states = new Map<string, SsrcState>();
  let aggregates = emptyAggregates();
  /** Freezes since each stream started, summed over its SSRCs: a counter, kept across windows. */
  const freezesTotals: Partial<Record<StreamKey, number>> = {};
  let snapshots = 0;
  let windowStartAt = 0;
  let lastAt = 0;
  let windowRtt: number | null = null;
  let worst: QualityClass = 'good';
  let droppedStreams = 0;

  function addFreezes(key: StreamKey, count: number | undefined): void {
    if (count === undefined || count < 0) return;
    freezesTotals[key] = (freezesTotals[key] ?? 0) + count;
  }

  function readCounters(stat: RtcStat, direction: Direction, remote: RtcStat | undefined): Counters {
    if (direction === 'inbound') {
      return {
        packets: numberField(stat, 'packetsReceived'),
        bytes: numberField(stat, 'bytesReceived'),
        lost: numberField(stat, 'packetsLost'),
        frames: numberField(stat, 'framesDecoded'),
        freezeSeconds: numberField(stat, 'totalFreezesDuration'),
        freezeCount: numberField(stat, 'freezeCount'),
        concealed: numberField(stat, 'concealedSamples'),
        samples: numberField(stat, 'totalSamplesReceived'),
      };
    }
    return {
      packets: numberField(stat, 'packetsSent'),
      bytes: numberField(stat, 'bytesSent'),
      frames: numberField(stat, 'framesEncoded'),
      remoteLost: remote && numberField(remote, 'packetsLost'),
      remoteReceived: remote && numberField(remote, 'packetsReceived'),
    };
  }

  /** Adds the deltas of one SSRC between its baseline and `now` to the window, then moves its baseline. */
  function step(state: SsrcState, now: Counters, direction: Direction): void {
    const before = state.last;
    state.last = now;
    const aggregate = aggregates[state.key];
    const packets = delta(now.packets, before.packets);
    const bytes = delta(now.bytes, before.bytes);
    if ((packets ?? 0) < 0 || (bytes ?? 0) < 0) {
      // The stream restarted its counters: what it counts now started after the reset.
      addFreezes(state.key, now.freezeCount);
      return;
    }
    if (packets !== undefined || bytes !== undefined) aggregate.counted = true;
    aggregate.bytes += bytes ?? 0;
    aggregate.packets += packets ?? 0;

    const freezes = delta(now.freezeCount, before.freezeCount);
    if (freezes !== undefined) addFreezes(state.key, freezes >= 0 ? freezes : now.freezeCount);
    const frames = delta(now.frames, before.frames);
    if (frames !== undefined && frames >= 0) {
      state.windowFrames += frames;
      state.framesCounted = true;
    }
    const frozen = delta(now.freezeSeconds, before.freezeSeconds);
    if (frozen !== undefined && frozen >= 0) {
      state.windowFrozenSeconds += frozen;
      state.frozenCounted = true;
    }

    if (direction === 'inbound') {
      // packetsLost may drop a little (duplicates, late packets): summed as is, clamped at take.
      const lost = delta(now.lost, before.lost);
      if (lost !== undefined && packets !== undefined) {
        aggregate.lost += lost;
        aggregate.received += packets;
      }
      const concealed = delta(now.concealed, before.concealed);
      const samples = delta(now.samples, before.samples);
      if (concealed !== undefined && samples !== undefined && concealed >= 0 && samples >= 0) {
        aggregate.concealed += concealed;
        aggregate.samples += samples;
      }
      return;
    }
    const remoteLost = delta(now.remoteLost, before.remoteLost);
    if (remoteLost === undefined) return;
    const remoteReceived = delta(now.remoteReceived, before.remoteReceived);
    if (remoteReceived !== undefined) {
      if (remoteReceived >= 0) {
        aggregate.remoteLost += remoteLost;
        aggregate.remoteReceived += remoteReceived;
      }
    } else if (packets !== undefined) {
      aggregate.remoteLostOfSent += remoteLost;
      aggregate.sent += packets;
    }
  }

  /** Moves a vanished SSRC's share of the window into its aggregate, so that it still counts. */
  function retire(state: SsrcState): void {
    const aggregate = aggregates[state.key];
    if (state.framesCounted) aggregate.goneFrames = maxOf(aggregate.goneFrames, state.windowFrames);
    if (state.frozenCounted) aggregate.goneFrozenSeconds = maxOf(aggregate.goneFrozenSeconds, state.windowFrozenSeconds);
  }

  function lossOf(key: StreamKey, aggregate: StreamAggregate): number | null {
    if (key.endsWith('inbound')) {
      const lost = Math.max(0, aggregate.lost);
      return lost + aggregate.received > 0 ? lost / (lost + aggregate.received) : null;
    }
    // Firefox reports what the far end received: the same ratio as inbound. Chromium does not: the
    // packets we sent (lost ones included) stand in, a report interval (~1 s) out of step at worst.
    const remoteLost = Math.max(0, aggregate.remoteLost);
    if (remoteLost + aggregate.remoteReceived > 0) return remoteLost / (remoteLost + aggregate.remoteReceived);
    if (aggregate.sent > 0) return Math.min(1, Math.max(0, aggregate.remoteLostOfSent) / aggregate.sent);
    return aggregate.maxFractionLost;
  }

  function streamWindow(kind: MediaKind, direction: Direction, seconds: number): StreamWindow {
    const key: StreamKey = `${kind}-${direction}`;
    const aggregate = aggregates[key];
    const rate = (amount: number) => (aggregate.counted && seconds > 0 ? amount / seconds : null);
    const lossRatio = lossOf(key, aggregate);
    const inbound = direction === 'inbound';
    const audio = kind === 'audio';
    let frames = aggregate.goneFrames;
    let frozen = aggregate.goneFrozenSeconds;
    for (const state of states.values()) {
      if (state.key !== key) continue;
      if (state.framesCounted) frames = maxOf(frames, state.windowFrames);
      if (state.frozenCounted) frozen = maxOf(frozen, state.windowFrozenSeconds);
    }
    return {
      kind,
      direction,
      bitrateBps: rate(aggregate.bytes * 8),
      packetRate: rate(aggregate.packets),
      lossRatio,
      jitterSeconds: aggregate.maxJitter,
      mos: audio && lossRatio !== null ? audioMos({ rttSeconds: windowRtt, jitterSeconds: aggregate.maxJitter, lossRatio }) : null,
      concealmentRatio: audio && inbound && aggregate.samples > 0 ? Math.min(1, aggregate.concealed / aggregate.samples) : null,
      framesPerSecond: audio ? null : frames !== null && seconds > 0 ? frames / seconds : aggregate.lastFps,
      frameHeight: audio ? null : aggregate.frameHeight,
      frozenRatio: !audio && inbound && frozen !== null && seconds > 0 ? Math.min(1, frozen / seconds) : null,
      freezesTotal: !audio && inbound ? (freezesTotals[key] ?? null) : null,
      qualityLimitation: !audio && !inbound ? aggregate.limitation : null,
    };
  }

  return {
    /** Adds one getStats() snapshot of this connection, taken at `at` (Unix ms). */
    add(stats: RtcStat[], at: number): void {
      if (snapshots === 0) windowStartAt = at;
      snapshots += 1;
      lastAt = at;
      windowRtt = maxOf(windowRtt, snapshotRtt(stats));

      const remoteByLocalId = new Map<string, RtcStat>();
      const remoteBySsrc = new Map<string, RtcStat>();
      for (const stat of stats) {
        if (stat.type !== 'remote-inbound-rtp') continue;
        if (typeof stat.localId === 'string') remoteByLocalId.set(stat.localId, stat);
        remoteBySsrc.set(`${String(stat.kind ?? stat.mediaType)}:${String(stat.ssrc)}`, stat);
      }

      const seen = new Set<string>();
      const heights: Partial<Record<StreamKey, number>> = {};
      const fps: Partial<Record<StreamKey, number>> = {};
      const limitations: Partial<Record<StreamKey, QualityLimitation>> = {};
      for (const stat of stats) {
        const direction: Direction | undefined =
          stat.type === 'inbound-rtp' ? 'inbound' : stat.type === 'outbound-rtp' ? 'outbound' : undefined;
        const kind = direction && mediaKind(stat);
        if (!direction || !kind) continue;
        const key: StreamKey = `${kind}-${direction}`;
        const id = `${key}:${typeof stat.ssrc === 'number' ? stat.ssrc : `id:${stat.id}`}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const remote =
          direction === 'outbound'
            ? (remoteByLocalId.get(stat.id) ?? remoteBySsrc.get(`${kind}:${String(stat.ssrc)}`))
            : undefined;
        const aggregate = aggregates[key];
        aggregate.present = true;
        // Outbound jitter is the far end's: only remote-inbound-rtp has it.
        const jitterSource = direction === 'inbound' ? stat : remote;
        if (jitterSource) aggregate.maxJitter = maxOf(aggregate.maxJitter, within(numberField(jitterSource, 'jitter')));
        if (remote) aggregate.maxFractionLost = maxOf(aggregate.maxFractionLost, within(numberField(remote, 'fractionLost'), 1));
        const height = within(numberField(stat, 'frameHeight'));
        if (height !== undefined) heights[key] = Math.max(heights[key] ?? 0, height);
        const framesPerSecond = within(numberField(stat, 'framesPerSecond'));
        if (framesPerSecond !== undefined) fps[key] = Math.max(fps[key] ?? 0, framesPerSecond);
        const limitation = limitationOf(stat);
        const current = limitations[key];
        if (limitation && (!current || LIMITATION_RANK[limitation] > LIMITATION_RANK[current])) limitations[key] = limitation;

        const counters = readCounters(stat, direction, remote);
        const state = states.get(id);
        if (state) {
          step(state, counters, direction);
        } else if (states.size >= MAX_STREAMS_PER_CONNECTION) {
          droppedStreams += 1;
        } else {
          // A new SSRC: its counters so far only set the baseline; its freezes start the counter.
          states.set(id, { key, last: counters, windowFrames: 0, framesCounted: false, windowFrozenSeconds: 0, frozenCounted: false });
          addFreezes(key, counters.freezeCount);
        }
      }
      for (const [id, state] of states) {
        if (seen.has(id)) continue;
        retire(state);
        states.delete(id);
      }
      for (const key of Object.keys(aggregates) as StreamKey[]) {
        const aggregate = aggregates[key];
        if (heights[key] !== undefined) aggregate.frameHeight = heights[key];
        if (fps[key] !== undefined) aggregate.lastFps = fps[key];
        if (limitations[key] !== undefined) aggregate.limitation = limitations[key];
      }
    },

    /**
     * The window since the previous take (or since the first snapshot): its values and class.
     * The next window's baseline is the last snapshot added. Null while nothing was ever added;
     * a window in which nothing was added has no streams and no RTT (and counts as good).
     * `_at` (the time of the take) is not needed: a window ends at its last snapshot.
     */
    take(_at: number): ConnectionWindow | null {
      if (snapshots === 0) return null;
      const seconds = (lastAt - windowStartAt) / 1000;
      const streams = STREAM_ORDER.filter(([kind, direction]) => aggregates[`${kind}-${direction}`].present).map(
        ([kind, direction]) => streamWindow(kind, direction, seconds),
      );
      const verdict = classifyWindow({ rttSeconds: windowRtt, streams }, options.thresholds());
      const window: ConnectionWindow = { from: windowStartAt, to: lastAt, rttSeconds: windowRtt, streams, ...verdict };
      worst = worseClass(worst, verdict.qualityClass);

      windowStartAt = lastAt;
      windowRtt = null;
      aggregates = emptyAggregates();
      for (const state of states.values()) {
        state.windowFrames = 0;
        state.framesCounted = false;
        state.windowFrozenSeconds = 0;
        state.frozenCounted = false;
      }
      return window;
    },

    /** The worst class of every window taken so far ('good' before the first): the call's final class. */
    worstClass(): QualityClass {
      return worst;
    },

    /** SSRCs not followed because the connection already had MAX_STREAMS_PER_CONNECTION (for health). */
    droppedStreams(): number {
      return droppedStreams;
    },

    /** SSRCs whose baselines are kept now (at most MAX_STREAMS_PER_CONNECTION). */
    size(): number {
      return states.size;
    },
  };
}
export type QualityWindow = ReturnType<typeof createQualityWindow>;
