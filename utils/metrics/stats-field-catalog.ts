import type { MetricType } from './metric-families';

/**
 * What the W3C webrtc-stats spec says each numeric field is: a cumulative counter (the spec's
 * "total number of…", "sum of…", "incremented when…") or a gauge (a current value), and its unit.
 * Static on purpose: the Pushgateway refuses a push whose metric type differs from what the same
 * name has in another group, so the type must follow from the name alone, never from a value.
 */

/**
 * Units as the spec gives them. Converted to Prometheus base units on the way out:
 * `timestamp_ms` to seconds, `bits_per_second` to bytes per second.
 */
export type FieldUnit =
  | 'seconds'
  | 'squared_seconds'
  | 'bytes'
  | 'ratio'
  | 'bits_per_second'
  | 'pixels'
  | 'hertz'
  | 'decibels'
  | 'timestamp_ms';

export interface NumericField {
  kind: MetricType;
  unit?: FieldUnit;
  /** Conventional base name (snake_case, without unit or `_total`) when the mechanical one reads badly. */
  base?: string;
  help: string;
}

const counter = (help: string, unit?: FieldUnit, base?: string): NumericField => ({ kind: 'counter', unit, base, help });
const gauge = (help: string, unit?: FieldUnit, base?: string): NumericField => ({ kind: 'gauge', unit, base, help });

/**
 * Numeric fields by name. A field means the same thing in every stats type that has it
 * (e.g. `bytesSent` in outbound-rtp, transport, candidate-pair and data-channel), so one table.
 * `packetsLost` is a gauge although it accumulates: the spec lets it go negative (duplicates),
 * and a counter that decreases would read as a reset to `rate()`.
 */
export const NUMERIC_FIELDS: Readonly<Record<string, NumericField>> = {
  // RTCReceivedRtpStreamStats / RTCInboundRtpStreamStats
  packetsReceived: counter('Packets received'),
  packetsReceivedWithEct1: counter('Packets received with ECT(1) marking'),
  packetsReceivedWithCe: counter('Packets received with CE marking'),
  packetsReportedAsLost: counter('Packets reported as lost'),
  packetsReportedAsLostButRecovered: counter('Packets reported as lost but recovered'),
  packetsLost: gauge('Packets lost (cumulative; may decrease when duplicates arrive)'),
  packetsDiscarded: counter('Packets discarded by the jitter buffer'),
  jitter: gauge('Packet jitter', 'seconds'),
  bytesReceived: counter('Bytes received'),
  headerBytesReceived: counter('RTP header and padding bytes received'),
  fecPacketsReceived: counter('FEC packets received'),
  fecPacketsDiscarded: counter('FEC packets discarded'),
  fecBytesReceived: counter('FEC bytes received'),
  retransmittedPacketsReceived: counter('Retransmitted packets received'),
  retransmittedBytesReceived: counter('Retransmitted bytes received'),
  framesReceived: counter('Frames received'),
  framesDecoded: counter('Frames decoded'),
  keyFramesDecoded: counter('Key frames decoded'),
  framesRendered: counter('Frames rendered'),
  framesDropped: counter('Frames dropped before decoding'),
  framesAssembledFromMultiplePackets: counter('Frames assembled from more than one packet'),
  frameWidth: gauge('Width of the last frame', 'pixels'),
  frameHeight: gauge('Height of the last frame', 'pixels'),
  framesPerSecond: gauge('Frames in the last second'),
  qpSum: counter('Sum of quantisation parameters'),
  totalDecodeTime: counter('Time spent decoding', 'seconds'),
  totalInterFrameDelay: counter('Sum of inter-frame delays', 'seconds'),
  totalSquaredInterFrameDelay: counter('Sum of squared inter-frame delays', 'squared_seconds', 'inter_frame_delay'),
  totalAssemblyTime: counter('Time spent assembling frames from packets', 'seconds'),
  totalProcessingDelay: counter('Sum of processing delays', 'seconds'),
  freezeCount: counter('Video freezes', undefined, 'freezes'),
  totalFreezesDuration: counter('Time the video was frozen', 'seconds'),
  pauseCount: counter('Video pauses', undefined, 'pauses'),
  totalPausesDuration: counter('Time the video was paused', 'seconds'),
  jitterBufferDelay: counter('Sum of jitter buffer delays', 'seconds'),
  jitterBufferTargetDelay: counter('Sum of jitter buffer target delays', 'seconds'),
  jitterBufferMinimumDelay: counter('Sum of jitter buffer minimum delays', 'seconds'),
  jitterBufferEmittedCount: counter('Samples or frames emitted by the jitter buffer', undefined, 'jitter_buffer_emitted'),
  totalSamplesReceived: counter('Audio samples received'),
  concealedSamples: counter('Concealed audio samples'),
  silentConcealedSamples: counter('Silent concealed audio samples'),
  concealmentEvents: counter('Concealment events'),
  insertedSamplesForDeceleration: counter('Samples inserted to slow playout'),
  removedSamplesForAcceleration: counter('Samples removed to speed up playout'),
  audioLevel: gauge('Audio level (0..1, linear)', 'ratio'),
  totalAudioEnergy: counter('Sum of audio energy'),
  totalSamplesDuration: counter('Duration of audio samples', 'seconds'),
  nackCount: counter('NACK packets', undefined, 'nacks'),
  firCount: counter('FIR packets', undefined, 'firs'),
  pliCount: counter('PLI packets', undefined, 'plis'),
  totalCorruptionProbability: counter('Sum of corruption probabilities'),
  totalSquaredCorruptionProbability: counter('Sum of squared corruption probabilities'),
  corruptionMeasurements: counter('Corruption measurements'),
  lastPacketReceivedTimestamp: gauge('Time the last packet was received (Unix time)', 'timestamp_ms'),
  estimatedPlayoutTimestamp: gauge('Estimated playout time (Unix time)', 'timestamp_ms'),
  // RTCSentRtpStreamStats / RTCOutboundRtpStreamStats
  packetsSent: counter('Packets sent'),
  packetsSentWithEct1: counter('Packets sent with ECT(1) marking'),
  bytesSent: counter('Bytes sent'),
  headerBytesSent: counter('RTP header and padding bytes sent'),
  retransmittedPacketsSent: counter('Retransmitted packets sent'),
  retransmittedBytesSent: counter('Retransmitted bytes sent'),
  targetBitrate: gauge('Encoder target bitrate', 'bits_per_second', 'target'),
  totalEncodedBytesTarget: counter('Sum of encoder target frame sizes', 'bytes', 'encoded_bytes_target'),
  framesEncoded: counter('Frames encoded'),
  keyFramesEncoded: counter('Key frames encoded'),
  framesSent: counter('Frames sent'),
  hugeFramesSent: counter('Huge frames sent'),
  totalEncodeTime: counter('Time spent encoding', 'seconds'),
  totalPacketSendDelay: counter('Time packets spent queued before sending', 'seconds'),
  qualityLimitationResolutionChanges: counter('Resolution changes due to quality limitation'),
  encodingIndex: gauge('Index of the encoding in the sender parameters'),
  // RTCRemoteInboundRtpStreamStats / RTCRemoteOutboundRtpStreamStats
  roundTripTime: gauge('Last round-trip time', 'seconds'),
  totalRoundTripTime: counter('Sum of round-trip times', 'seconds'),
  roundTripTimeMeasurements: counter('Round-trip time measurements'),
  fractionLost: gauge('Fraction of packets lost in the last report', 'ratio'),
  reportsSent: counter('RTCP sender reports sent'),
  remoteTimestamp: gauge('Remote time of the last report (Unix time)', 'timestamp_ms'),
  // RTCMediaSourceStats / RTCAudioPlayoutStats
  frames: counter('Frames from the source'),
  width: gauge('Width of the last source frame', 'pixels'),
  height: gauge('Height of the last source frame', 'pixels'),
  echoReturnLoss: gauge('Echo return loss', 'decibels'),
  echoReturnLossEnhancement: gauge('Echo return loss enhancement', 'decibels'),
  synthesizedSamplesDuration: counter('Duration of synthesized samples', 'seconds'),
  synthesizedSamplesEvents: counter('Synthesized sample events'),
  totalPlayoutDelay: counter('Sum of playout delays', 'seconds'),
  totalSamplesCount: counter('Samples played out', undefined, 'samples'),
  // RTCPeerConnectionStats / RTCDataChannelStats
  dataChannelsOpened: counter('Data channels opened'),
  dataChannelsClosed: counter('Data channels closed'),
  messagesSent: counter('Messages sent'),
  messagesReceived: counter('Messages received'),
  // RTCTransportStats / RTCIceCandidatePairStats
  selectedCandidatePairChanges: counter('Changes of the selected candidate pair'),
  ccfbMessagesSent: counter('Congestion control feedback messages sent'),
  ccfbMessagesReceived: counter('Congestion control feedback messages received'),
  currentRoundTripTime: gauge('Latest STUN round-trip time', 'seconds'),
  availableOutgoingBitrate: gauge('Estimated available outgoing bitrate', 'bits_per_second', 'available_outgoing'),
  availableIncomingBitrate: gauge('Estimated available incoming bitrate', 'bits_per_second', 'available_incoming'),
  requestsReceived: counter('STUN connectivity requests received'),
  requestsSent: counter('STUN connectivity requests sent'),
  responsesReceived: counter('STUN connectivity responses received'),
  responsesSent: counter('STUN connectivity responses sent'),
  consentRequestsSent: counter('STUN consent requests sent'),
  packetsDiscardedOnSend: counter('Packets discarded on send (socket errors)'),
  bytesDiscardedOnSend: counter('Bytes discarded on send (socket errors)'),
  lastPacketSentTimestamp: gauge('Time the last packet was sent (Unix time)', 'timestamp_ms'),
  // RTCCodecStats
  clockRate: gauge('Codec clock rate', 'hertz'),
  channels: gauge('Codec channels'),
};

/** Numeric fields used as labels or ignored: stream identifiers and the poll time. */
export const NON_METRIC_NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'timestamp',
  'ssrc',
  'rtxSsrc',
  'fecSsrc',
  'payloadType',
  'dataChannelIdentifier',
]);

/** A string field with a bounded set of values, exported as a state set (`…{state="x"} 1`). */
export interface EnumField {
  /** Label that carries the value. */
  label: string;
  values: readonly string[];
  help: string;
}

/** Enum fields, by `type/field`: the same field name means different sets in different types. */
export const ENUM_FIELDS: Readonly<Record<string, EnumField>> = {
  'outbound-rtp/qualityLimitationReason': {
    label: 'reason',
    values: ['none', 'cpu', 'bandwidth', 'other'],
    help: 'Current reason the encoder limits quality (1 for the current one)',
  },
  'candidate-pair/state': {
    label: 'state',
    values: ['frozen', 'waiting', 'in-progress', 'failed', 'succeeded'],
    help: 'ICE state of the selected candidate pair (1 for the current one)',
  },
  'transport/dtlsState': {
    label: 'state',
    values: ['new', 'connecting', 'connected', 'closed', 'failed'],
    help: 'DTLS state of the transport (1 for the current one)',
  },
  'transport/iceState': {
    label: 'state',
    values: ['new', 'checking', 'connected', 'completed', 'disconnected', 'failed', 'closed'],
    help: 'ICE state of the transport (1 for the current one)',
  },
  'data-channel/state': {
    label: 'state',
    values: ['connecting', 'open', 'closing', 'closed'],
    help: 'State of the data channel (1 for the current one)',
  },
};

/** Record-of-number fields, exported as one family with the record key as a label. */
export const RECORD_FIELDS: Readonly<Record<string, { label: string; field: NumericField }>> = {
  qualityLimitationDurations: {
    label: 'reason',
    field: counter('Time spent in each quality limitation state', 'seconds', 'quality_limitation_duration'),
  },
};

/** Descriptive strings exported as labels of one `<type>_info` series per object. */
export const INFO_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'inbound-rtp': { decoderImplementation: 'decoder_implementation' },
  'outbound-rtp': { encoderImplementation: 'encoder_implementation', scalabilityMode: 'scalability_mode' },
  transport: {
    dtlsRole: 'dtls_role',
    iceRole: 'ice_role',
    dtlsCipher: 'dtls_cipher',
    srtpCipher: 'srtp_cipher',
    tlsVersion: 'tls_version',
  },
};

/** ICE candidate-pair states, for the count of pairs by state. */
export const CANDIDATE_PAIR_STATES = ENUM_FIELDS['candidate-pair/state']!.values;
