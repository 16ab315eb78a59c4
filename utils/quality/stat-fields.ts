import type { RtcStat } from '../webrtc/report-schema';

/** A numeric field of a stats object, or undefined when it is missing, not a number or not finite. */
export function numberField(stat: RtcStat, field: string): number | undefined {
  const value = stat[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Every stats field the quality engine reads (quality-window.ts), by stats type; `id`, `type` and
 * `timestamp` always travel. In the `quality` export profile the hook sends only these types and
 * fields (hookConfigFor), because nothing else of a report is exported or charted there: the page,
 * the relay and the background then copy, serialize, validate and message about a third of the
 * bytes (docs/benchmarks.md, "Page main-thread cost per poll"). A field read by the engine and
 * missing here would silently read as absent: tests/unit/quality/quality-stat-fields.test.ts
 * feeds every recorded fixture through the engine with and without this filter.
 */
export const QUALITY_STAT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'inbound-rtp': [
    'kind',
    'mediaType',
    'ssrc',
    'packetsReceived',
    'bytesReceived',
    'packetsLost',
    'jitter',
    'framesDecoded',
    'framesPerSecond',
    'frameHeight',
    'freezeCount',
    'totalFreezesDuration',
    'concealedSamples',
    'totalSamplesReceived',
  ],
  'outbound-rtp': ['kind', 'mediaType', 'ssrc', 'packetsSent', 'bytesSent', 'framesEncoded', 'framesPerSecond', 'frameHeight', 'qualityLimitationReason'],
  'remote-inbound-rtp': ['kind', 'mediaType', 'ssrc', 'localId', 'packetsLost', 'packetsReceived', 'fractionLost', 'jitter', 'roundTripTime'],
  'candidate-pair': ['state', 'nominated', 'selected', 'currentRoundTripTime', 'totalRoundTripTime', 'lastPacketReceivedTimestamp'],
  transport: ['selectedCandidatePairId'],
};
