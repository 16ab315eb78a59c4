import { describe, expect, it } from 'vitest';
import { STATS_TYPES } from '../../../utils/settings/settings-schema';
import {
  catalogEnumSpec,
  catalogNumericSpec,
  catalogRecordSpec,
} from '../../../utils/metrics/conventional-naming';
import { LEGACY_QUALITY_LIMITATION_REASONS, legacyMetricSpec, legacyObjectSamples } from '../../../utils/metrics/legacy-naming';
import { NUMERIC_FIELDS } from '../../../utils/metrics/stats-field-catalog';

describe('conventional naming', () => {
  it.each([
    ['inbound-rtp', 'packetsReceived', 'webrtc_inbound_rtp_packets_received_total', 'counter'],
    ['inbound-rtp', 'bytesReceived', 'webrtc_inbound_rtp_bytes_received_total', 'counter'],
    ['outbound-rtp', 'bytesSent', 'webrtc_outbound_rtp_bytes_sent_total', 'counter'],
    ['inbound-rtp', 'framesDecoded', 'webrtc_inbound_rtp_frames_decoded_total', 'counter'],
    ['inbound-rtp', 'nackCount', 'webrtc_inbound_rtp_nacks_total', 'counter'],
    ['inbound-rtp', 'totalSamplesReceived', 'webrtc_inbound_rtp_samples_received_total', 'counter'],
    ['inbound-rtp', 'freezeCount', 'webrtc_inbound_rtp_freezes_total', 'counter'],
    ['inbound-rtp', 'totalFreezesDuration', 'webrtc_inbound_rtp_freezes_duration_seconds_total', 'counter'],
    ['inbound-rtp', 'jitterBufferDelay', 'webrtc_inbound_rtp_jitter_buffer_delay_seconds_total', 'counter'],
    ['inbound-rtp', 'totalSquaredInterFrameDelay', 'webrtc_inbound_rtp_inter_frame_delay_squared_seconds_total', 'counter'],
    ['remote-inbound-rtp', 'totalRoundTripTime', 'webrtc_remote_inbound_rtp_round_trip_time_seconds_total', 'counter'],
    ['outbound-rtp', 'totalEncodedBytesTarget', 'webrtc_outbound_rtp_encoded_bytes_target_total', 'counter'],
    ['peer-connection', 'dataChannelsOpened', 'webrtc_peer_connection_data_channels_opened_total', 'counter'],
    ['inbound-rtp', 'jitter', 'webrtc_inbound_rtp_jitter_seconds', 'gauge'],
    ['remote-inbound-rtp', 'roundTripTime', 'webrtc_remote_inbound_rtp_round_trip_time_seconds', 'gauge'],
    ['remote-inbound-rtp', 'fractionLost', 'webrtc_remote_inbound_rtp_fraction_lost_ratio', 'gauge'],
    ['inbound-rtp', 'packetsLost', 'webrtc_inbound_rtp_packets_lost', 'gauge'],
    ['outbound-rtp', 'framesPerSecond', 'webrtc_outbound_rtp_frames_per_second', 'gauge'],
    ['inbound-rtp', 'audioLevel', 'webrtc_inbound_rtp_audio_level_ratio', 'gauge'],
    ['candidate-pair', 'availableOutgoingBitrate', 'webrtc_candidate_pair_available_outgoing_bytes_per_second', 'gauge'],
    ['candidate-pair', 'currentRoundTripTime', 'webrtc_candidate_pair_current_round_trip_time_seconds', 'gauge'],
    ['inbound-rtp', 'frameWidth', 'webrtc_inbound_rtp_frame_width_pixels', 'gauge'],
    ['inbound-rtp', 'lastPacketReceivedTimestamp', 'webrtc_inbound_rtp_last_packet_received_timestamp_seconds', 'gauge'],
  ])('names %s %s as %s (%s)', (type, field, name, kind) => {
    const spec = catalogNumericSpec(type, field);
    expect(spec?.name).toBe(name);
    expect(spec?.type).toBe(kind);
  });

  it.each([
    ['inbound-rtp', 'lastPacketReceivedTimestamp', 0.001],
    ['candidate-pair', 'availableOutgoingBitrate', 1 / 8],
    ['inbound-rtp', 'jitter', 1],
  ])('converts %s %s to base units by a factor of %s', (type, field, scale) => {
    expect(catalogNumericSpec(type, field)?.scale).toBe(scale);
  });

  it('gives every counter the _total suffix and no gauge', () => {
    for (const field of Object.keys(NUMERIC_FIELDS)) {
      const spec = catalogNumericSpec('inbound-rtp', field)!;
      expect(spec.name.endsWith('_total'), `${field} -> ${spec.name}`).toBe(spec.type === 'counter');
    }
  });

  it('gives every catalogued field of a stats type its own name', () => {
    for (const type of STATS_TYPES) {
      const names = Object.keys(NUMERIC_FIELDS).map((field) => catalogNumericSpec(type, field)!.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('leaves fields the catalogue does not know to the generic path', () => {
    expect(catalogNumericSpec('inbound-rtp', 'somethingNew')).toBeUndefined();
    expect(catalogNumericSpec('inbound-rtp', 'toString')).toBeUndefined();
  });

  it('names enum fields as state sets with a bounded value list', () => {
    expect(catalogEnumSpec('outbound-rtp', 'qualityLimitationReason')).toMatchObject({
      name: 'webrtc_outbound_rtp_quality_limitation_reason',
      type: 'gauge',
      label: 'reason',
      values: ['none', 'cpu', 'bandwidth', 'other'],
    });
    expect(catalogEnumSpec('candidate-pair', 'state')?.name).toBe('webrtc_candidate_pair_state');
    expect(catalogEnumSpec('transport', 'dtlsState')?.name).toBe('webrtc_transport_dtls_state');
    expect(catalogEnumSpec('transport', 'iceState')?.name).toBe('webrtc_transport_ice_state');
    expect(catalogEnumSpec('inbound-rtp', 'state')).toBeUndefined();
  });

  it('names qualityLimitationDurations as one counter family labelled by reason', () => {
    expect(catalogRecordSpec('outbound-rtp', 'qualityLimitationDurations')).toMatchObject({
      name: 'webrtc_outbound_rtp_quality_limitation_duration_seconds_total',
      type: 'counter',
      label: 'reason',
    });
  });
});

describe('legacy naming', () => {
  it.each([
    ['inbound-rtp', 'bytesReceived', undefined, 'inbound_rtp_bytesReceived'],
    ['outbound-rtp', 'framesPerSecond', undefined, 'outbound_rtp_framesPerSecond'],
    ['remote-inbound-rtp', 'roundTripTime', undefined, 'remote_inbound_rtp_roundTripTime'],
    ['remote-inbound-rtp', 'fractionLost', undefined, 'remote_inbound_rtp_fractionLost'],
    ['peer-connection', 'timestamp', undefined, 'peer_connection_timestamp'],
    ['outbound-rtp', 'qualityLimitationDurations', 'bandwidth', 'outbound_rtp_qualityLimitationDurations_bandwidth'],
    ['outbound-rtp', 'frameWidth', undefined, 'outbound_rtp_frameWidth'],
  ])('names %s %s %s as %s, a gauge', (type, field, key, name) => {
    expect(legacyMetricSpec(type, field, key)).toMatchObject({ name, type: 'gauge' });
  });

  it('exports every numeric field raw, the timestamp included, and qualityLimitationReason as its legacy number', () => {
    const samples = legacyObjectSamples({
      id: 'OT01V1',
      type: 'outbound-rtp',
      timestamp: 1_700_000_000_123,
      kind: 'video',
      ssrc: 42,
      bytesSent: 1000,
      qualityLimitationReason: 'cpu',
      qualityLimitationDurations: { none: 1.5, cpu: 0.5 },
      codecId: 'COT01_96',
      mid: '1',
      active: true,
    });
    const byName = Object.fromEntries(samples.map((s) => [s.spec.name, s.value]));
    expect(byName).toEqual({
      outbound_rtp_timestamp: 1_700_000_000_123,
      outbound_rtp_ssrc: 42,
      outbound_rtp_bytesSent: 1000,
      outbound_rtp_qualityLimitationReason: LEGACY_QUALITY_LIMITATION_REASONS.cpu,
      outbound_rtp_qualityLimitationDurations_cpu: 0.5,
      outbound_rtp_qualityLimitationDurations_none: 1.5,
    });
    expect(samples.every((s) => s.spec.type === 'gauge')).toBe(true);
  });

  it('maps quality limitation reasons as the older exporters did', () => {
    expect(LEGACY_QUALITY_LIMITATION_REASONS).toEqual({ none: 0, bandwidth: 1, cpu: 2, other: 3 });
  });
});
