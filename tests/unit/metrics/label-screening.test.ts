import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../utils/metrics/encode-snapshot';
import { SCREENED_VALUE, isAcceptedLabelValue, screenLabelValue, type ScreenedLabel } from '../../../utils/metrics/label-screening';
import type { RtcStat } from '../../../utils/webrtc/report-schema';
import { fixtureStats } from '../../fixtures/load-fixture';
import { samplesOf } from './exposition-parser';

describe('label screening', () => {
  it.each<[ScreenedLabel, string]>([
    ['decoder_implementation', '192.168.1.23'],
    ['decoder_implementation', '2001:db8::1'],
    ['encoder_implementation', '1f4712db-ea17-4bcf-a596-105139dfd8bf.local'],
    ['decoder_implementation', 'x'.repeat(200)],
    ['decoder_implementation', 'libvpx-but-not-really'],
    ['encoder_implementation', 'SimulcastEncoderAdapter (libvpx, 10.0.0.1)'],
    ['dtls_cipher', 'TLS_FAKE_10_0_0_1'],
    ['srtp_cipher', 'a secret token'],
    ['tls_version', 'FFFF'],
    ['scalability_mode', 'L9T9'],
    ['codec', 'video/10.1.2.3'],
    ['mime_type', 'audio/opus; ip=10.0.0.1'],
    ['dtls_role', 'client\n'],
  ])('replaces %s %j by other and counts it', (label, value) => {
    const tally = { screened: 0 };
    expect(screenLabelValue(label, value, tally)).toBe(SCREENED_VALUE);
    expect(tally.screened).toBe(1);
  });

  it.each<[ScreenedLabel, string]>([
    ['decoder_implementation', 'libvpx'],
    ['decoder_implementation', 'ExternalDecoder'],
    ['encoder_implementation', 'SimulcastEncoderAdapter (libvpx, libvpx, libvpx)'],
    ['dtls_cipher', 'TLS_AES_128_GCM_SHA256'],
    ['srtp_cipher', 'SRTP_AES128_CM_HMAC_SHA1_80'],
    ['tls_version', 'FEFC'],
    ['scalability_mode', 'L1T1'],
    ['scalability_mode', 'L3T3_KEY'],
    ['codec', 'video/VP8'],
    ['mime_type', 'audio/opus'],
    ['ice_role', 'controlling'],
  ])('keeps %s %j as the browser reports it', (label, value) => {
    expect(isAcceptedLabelValue(label, value)).toBe(true);
  });

  it('leaves the recorded Chromium call’s info labels untouched', () => {
    const { text, screenedLabels } = encodeSnapshot(fixtureStats('chromium-av-loopback'), { naming: 'conventional', labels: {}, maxSeries: 5_000 });
    expect(screenedLabels).toBe(0);
    const infoLabels = samplesOf(text).filter((sample) => sample.name.endsWith('_info')).flatMap((sample) => Object.values(sample.labels ?? {}));
    expect(infoLabels.length).toBeGreaterThan(3);
    expect(infoLabels).not.toContain(SCREENED_VALUE);
  });

  it('turns a page’s IP and mDNS literals in info fields into other, counted, and mints no other value', () => {
    const forged: RtcStat[] = Array.from({ length: 50 }, (_, i) => ({
      id: `IT${i}`,
      type: 'inbound-rtp',
      timestamp: 1,
      kind: 'video',
      ssrc: i,
      decoderImplementation: i % 2 ? `10.0.0.${i}` : `host-${i}.local`,
    })) as RtcStat[];
    const { text, screenedLabels } = encodeSnapshot(forged, { naming: 'conventional', labels: {}, maxSeries: 5_000 });
    const values = new Set(samplesOf(text).map((sample) => sample.labels?.decoder_implementation).filter(Boolean));
    expect([...values]).toEqual([SCREENED_VALUE]);
    expect(screenedLabels).toBe(50);
  });

  it('shows an enum value the catalogue does not know as other, counted', () => {
    const stat = { id: 'OT', type: 'outbound-rtp', timestamp: 1, kind: 'video', ssrc: 1, qualityLimitationReason: 'evil-10-0-0-1' } as RtcStat;
    const { text, screenedLabels } = encodeSnapshot([stat], { naming: 'conventional', labels: {}, maxSeries: 5_000 });
    expect(text).not.toContain('evil');
    expect(text).toMatch(/quality_limitation_reason\{kind="video",ssrc="1",reason="other"\} 1/);
    expect(text).toMatch(/quality_limitation_reason\{kind="video",ssrc="1",reason="none"\} 0/);
    expect(screenedLabels).toBe(1);
  });
});
