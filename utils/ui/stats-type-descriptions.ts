import type { StatsType } from '../settings/settings-schema';

/** One line per W3C stats type, for the capture settings. A Record, so a new type needs a line. */
export const STATS_TYPE_DESCRIPTIONS: Record<StatsType, string> = {
  codec: 'Codecs in use: payload type, MIME type, clock rate.',
  'inbound-rtp': 'Received audio/video: bytes, packets lost, jitter, frames, freezes.',
  'outbound-rtp': 'Sent audio/video: bytes, packets, frame rate, quality limitation.',
  'remote-inbound-rtp': "The far end's view of what we send: loss, jitter, round-trip time.",
  'remote-outbound-rtp': 'What the far end says it sent: packets, bytes, remote timestamps.',
  'media-source': 'Local microphone and camera: audio level, frame size and rate.',
  'media-playout': 'Audio playout: synthesized samples and playout delay.',
  'peer-connection': 'Data channels opened and closed on the connection.',
  'data-channel': 'Each data channel: state, messages and bytes sent and received.',
  transport: 'The DTLS/ICE transport: state, bytes, selected candidate pair.',
  'candidate-pair': 'ICE candidate pairs: current round-trip time, available bitrate.',
  'local-candidate': 'Local ICE candidates: type and protocol (no addresses are exported).',
  'remote-candidate': 'Remote ICE candidates: type and protocol (no addresses are exported).',
  certificate: 'DTLS certificates: fingerprint algorithm.',
};
