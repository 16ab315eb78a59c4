import { describe, expect, it } from 'vitest';
import { encodeSnapshot, type EncodeOptions } from '../../../utils/metrics/encode-snapshot';
import { isForbiddenField } from '../../../utils/metrics/privacy';
import type { RtcStat } from '../../../utils/webrtc/report-schema';
import { FIXTURE_NAMES, loadFixture } from '../../fixtures/load-fixture';
import { samplesOf } from './exposition-parser';

const MODES: Array<[string, EncodeOptions]> = [
  ['conventional', { naming: 'conventional', labels: { agent_id: 'a', origin: 'https://meet.google.com' }, maxSeries: 5_000 }],
  ['legacy', { naming: 'legacy', labels: { pageUrl: 'https://meet.google.com' }, maxSeries: 5_000 }],
];
const CASES = FIXTURE_NAMES.flatMap((fixture) => MODES.map(([mode, options]) => [fixture, mode, options] as const));
const ALLOWED_LABELS = new Set([
  'agent_id', 'origin', 'pageUrl', 'kind', 'ssrc', 'index', 'mime_type', 'payload_type', 'data_channel_id',
  'local_candidate_type', 'remote_candidate_type', 'protocol', 'relay_protocol', 'state', 'reason', 'codec',
  'decoder_implementation', 'encoder_implementation', 'scalability_mode', 'dtls_role', 'ice_role', 'dtls_cipher',
  'srtp_cipher', 'tls_version',
]);

/** Every identifying string in the fixture: ids, addresses, credentials, fingerprints, track UUIDs, certificates. */
function secretsOf(stats: RtcStat[]): string[] {
  const secrets = new Set<string>();
  for (const s of stats) {
    for (const [field, value] of Object.entries(s)) {
      if (typeof value === 'string' && value.length >= 3 && isForbiddenField(field)) secrets.add(value);
    }
  }
  return [...secrets];
}

function allStats(fixture: (typeof FIXTURE_NAMES)[number]): RtcStat[] {
  return loadFixture(fixture).pcs.flatMap((pc) => [pc.stats, ...(pc.samples ?? [])]).flat();
}

describe('privacy of the encoded output', () => {
  it('has identifying strings to look for in every fixture, so the scans below are not vacuous', () => {
    for (const fixture of FIXTURE_NAMES) {
      const secrets = secretsOf(allStats(fixture));
      expect(secrets.some((s) => /Id|^[A-Z]{1,3}[\w/+]{4,}$|^[0-9a-f]{6,}$/i.test(s)), fixture).toBe(true);
      expect(allStats(fixture).some((s) => typeof s.port === 'number'), fixture).toBe(true);
    }
    expect(JSON.stringify(allStats('chromium-av-loopback'))).toMatch(/\b\d+\.\d+\.\d+\.\d+\b/);
  });

  it.each(CASES)('shows no IP address in %s (%s)', (fixture, _mode, options) => {
    for (const pc of loadFixture(fixture).pcs) {
      const text = encodeSnapshot(pc.stats, options).text;
      expect(text).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
      expect(text).not.toMatch(/\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}\b/i);
      expect(text).not.toMatch(/\.local\b|redacted/);
    }
  });

  it.each(CASES)('shows no id, candidate, credential, fingerprint or track UUID of %s (%s) as a label value', (fixture, _mode, options) => {
    for (const pc of loadFixture(fixture).pcs) {
      const secrets = secretsOf(pc.stats);
      const values = new Set(samplesOf(encodeSnapshot(pc.stats, options).text).flatMap((s) => Object.values(s.labels!)));
      for (const secret of secrets) expect(values.has(secret), `leaked ${secret}`).toBe(false);
      const text = encodeSnapshot(pc.stats, options).text;
      for (const secret of secrets.filter((s) => s.length >= 8)) expect(text.includes(secret), `leaked ${secret}`).toBe(false);
    }
  });

  it.each(CASES)('uses only bounded, non-identifying label names in %s (%s)', (fixture, _mode, options) => {
    for (const pc of loadFixture(fixture).pcs) {
      for (const sample of samplesOf(encodeSnapshot(pc.stats, options).text)) {
        for (const name of Object.keys(sample.labels!)) expect(ALLOWED_LABELS.has(name), `label ${name}`).toBe(true);
      }
    }
  });

  it.each(CASES)('exports no port, address, priority or id as a metric in %s (%s)', (fixture, _mode, options) => {
    for (const pc of loadFixture(fixture).pcs) {
      for (const sample of samplesOf(encodeSnapshot(pc.stats, options).text)) {
        expect(sample.name).not.toMatch(/(^|_)(port|address|ip|priority|foundation|id)(_|$)|Port|Address|Priority|Id(_|$)|candidate_(?!pair)|certificate|fingerprint/);
      }
    }
  });

  it('keeps forbidden fields out even when a page puts them on an RTP stream', () => {
    const forged = {
      id: 'IT01A1', type: 'inbound-rtp', timestamp: 1, kind: 'audio', ssrc: 5,
      address: '198.51.100.7', relatedAddress: '198.51.100.8', port: 3478, relatedPort: 9, url: 'turn:198.51.100.9',
      trackIdentifier: '7f1b2c3d-aaaa-bbbb-cccc-0123456789ab', remoteCandidateId: 'Ixyz', usernameFragment: 'abcd',
      fingerprint: 'AA:BB:CC', packetsReceived: 3,
    } as RtcStat;
    for (const [, options] of MODES) {
      const text = encodeSnapshot([forged], options).text;
      expect(text).not.toMatch(/198\.51\.100|3478|7f1b2c3d|Ixyz|abcd|AA:BB/);
      expect(samplesOf(text).length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['id', true], ['transportId', true], ['localCandidateId', true], ['selectedCandidatePairId', true],
    ['address', true], ['ip', true], ['port', true], ['relatedPort', true], ['url', true], ['usernameFragment', true],
    ['base64Certificate', true], ['fingerprint', true], ['trackIdentifier', true], ['mid', true], ['label', true],
    ['packetsReceived', false], ['dataChannelIdentifier', false], ['ssrc', false], ['kind', false],
  ])('treats %s as forbidden: %s', (field, forbidden) => {
    expect(isForbiddenField(field)).toBe(forbidden);
  });
});
