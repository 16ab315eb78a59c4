/**
 * Screening of label values that come from the page (issue 10 item 6). getStats() strings such
 * as `decoderImplementation` or `dtlsCipher` are whatever the page hands the hook: a hostile page
 * put IP and mDNS literals there, and every distinct value would be a new Prometheus series.
 * So each page-supplied label value must be in a known set (or be composed of known words);
 * anything else is exported as `other` and counted, never verbatim.
 */

/** What a value that fails screening is replaced by. */
export const SCREENED_VALUE = 'other';

/** Drop-counter reason under which screened values are counted (health, self-metrics). */
export const SCREENED_DROP_REASON = 'label-value-screened';

// Codec implementations Chromium and Firefox report (webrtc/modules, media/gpu, FFmpeg).
const IMPLEMENTATIONS: ReadonlySet<string> = new Set([
  'libvpx',
  'libaom',
  'dav1d',
  'libdav1d',
  'OpenH264',
  'openh264',
  'FFmpeg',
  'ffmpeg',
  'ExternalDecoder',
  'ExternalEncoder',
  'SimulcastEncoderAdapter',
  'MediaCodec',
  'VideoToolbox',
  'D3D11VideoDecoder',
  'MediaFoundationVideoEncodeAccelerator',
  'VaapiVideoDecoder',
  'VaapiVideoEncodeAccelerator',
  'V4L2VideoDecoder',
  'V4L2VideoEncodeAccelerator',
  'HardwareVideoDecoder',
  'HardwareVideoEncoder',
  'unknown',
]);
// `SimulcastEncoderAdapter (libvpx, libvpx, libvpx)`: a known name, optionally with up to four known names in brackets.
const COMPOSITE = /^([A-Za-z0-9]{1,40})(?: \(([A-Za-z0-9]{1,40}(?:, [A-Za-z0-9]{1,40}){0,3})\))?$/;

const KNOWN_SETS = {
  dtls_cipher: new Set([
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  ]),
  srtp_cipher: new Set([
    'SRTP_AES128_CM_HMAC_SHA1_80',
    'SRTP_AES128_CM_HMAC_SHA1_32',
    'SRTP_AEAD_AES_128_GCM',
    'SRTP_AEAD_AES_256_GCM',
    'AES_CM_128_HMAC_SHA1_80',
    'AES_CM_128_HMAC_SHA1_32',
  ]),
  // DTLS versions as Chromium spells them (hex of the wire version) and as Firefox does.
  tls_version: new Set(['FEFF', 'FEFD', 'FEFC', '1.0', '1.2', '1.3']),
  dtls_role: new Set(['client', 'server', 'unknown']),
  ice_role: new Set(['controlling', 'controlled', 'unknown']),
} as const satisfies Record<string, ReadonlySet<string>>;

// Every scalability mode of the W3C WebRTC-SVC spec matches this (L1T1 … S3T3h, L3T3_KEY_SHIFT).
const SCALABILITY_MODE = /^[LS][1-3]T[1-3](?:h|_KEY|_KEY_SHIFT)?$/;

const MIME_TYPES: ReadonlySet<string> = new Set(
  [
    'audio/opus', 'audio/red', 'audio/PCMU', 'audio/PCMA', 'audio/G722', 'audio/ISAC', 'audio/ILBC', 'audio/CN',
    'audio/telephone-event', 'video/VP8', 'video/VP9', 'video/H264', 'video/H265', 'video/AV1', 'video/rtx',
    'video/red', 'video/ulpfec', 'video/flexfec-03',
  ].map((type) => type.toLowerCase()),
);

/** Page-supplied label names this module screens. */
export type ScreenedLabel =
  | 'decoder_implementation'
  | 'encoder_implementation'
  | 'scalability_mode'
  | 'codec'
  | 'mime_type'
  | keyof typeof KNOWN_SETS;

function isKnownImplementation(value: string): boolean {
  const match = COMPOSITE.exec(value);
  if (!match) return false;
  if (!IMPLEMENTATIONS.has(match[1]!)) return false;
  return match[2] === undefined || match[2].split(', ').every((part) => IMPLEMENTATIONS.has(part));
}

/** True when `value` may be exported verbatim as label `label`. */
export function isAcceptedLabelValue(label: ScreenedLabel, value: string): boolean {
  switch (label) {
    case 'decoder_implementation':
    case 'encoder_implementation':
      return isKnownImplementation(value);
    case 'scalability_mode':
      return SCALABILITY_MODE.test(value);
    case 'codec':
    case 'mime_type':
      return value.length <= 40 && MIME_TYPES.has(value.toLowerCase());
    default:
      return KNOWN_SETS[label].has(value);
  }
}

/** Counts what screening replaced; one per encode, read by the caller into the drop counter. */
export interface ScreeningTally {
  screened: number;
}

/** `value` if accepted, else {@link SCREENED_VALUE}, counted in `tally`. */
export function screenLabelValue(label: ScreenedLabel, value: string, tally: ScreeningTally): string {
  if (isAcceptedLabelValue(label, value)) return value;
  tally.screened += 1;
  return SCREENED_VALUE;
}
