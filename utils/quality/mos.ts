/**
 * MOS (mean opinion score, 1–4.5) of an audio stream from a simplified ITU-T G.107 E-model,
 * the kind of estimate WebRTC SDKs show (e.g. twilio-video.js's preflight MOS: effective latency
 * RTT + 2·jitter + codec delay, R from it and the loss), here with the delay and packet-loss terms
 * G.107 itself defines instead of linear ones.
 *
 * Sources:
 * - ITU-T G.107 (06/2015) "The E-model": R = Ro − Is − Id − Ie,eff + A; with the default
 *   parameters Ro − Is = 93.2 and A = 0, so R = 93.2 − Id − Ie,eff.
 *   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)   (eq. 7-29; Ppl in %, BurstR = 1: random loss).
 *   MOS = 1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶ for 0 < R < 100; 1 below, 4.5 above (Annex B, eq. B-4).
 * - Id (delay impairment) with the approximation of G.107's Idd by R. G. Cole and J. H. Rosenbluth,
 *   "Voice over IP performance monitoring", ACM SIGCOMM CCR 31(2), 2001:
 *   Id = 0.024 d + 0.11 (d − 177.3) H(d − 177.3), d = one-way mouth-to-ear delay in ms.
 * - Ie and Bpl: ITU-T G.113 Appendix I gives Ie = 0, Bpl = 25.1 for G.711 with packet-loss
 *   concealment under random loss. WebRTC audio is Opus, which G.113 does not tabulate; Opus at
 *   voice bitrates is at least as clean as G.711 and conceals loss at least as well, so these
 *   values are a conservative stand-in (the MOS errs low, not high).
 *
 * Effective one-way delay d = RTT / 2 + jitter buffer + codec delay, the jitter buffer estimated as
 * two jitters (the rule of thumb of those SDKs). Not the measured one (jitterBufferDelay /
 * jitterBufferEmittedCount): it exists only for our own inbound audio while it plays, so inbound and
 * outbound scores would not compare, and it follows the local CPU as much as the network — measured
 * here, a loopback call with no loss and 4 ms RTT on a loaded machine buffered ~0.3 s and scored 2.8.
 */

/** G.107 default Ro − Is (with A = 0). */
const R_DEFAULT = 93.2;
/** Equipment impairment of the codec (G.113 App. I, G.711 with PLC; see above). */
const CODEC_IE = 0;
/** Packet-loss robustness of the codec (G.113 App. I, G.711 with PLC, random loss). */
const CODEC_BPL = 25.1;
/** Opus with 20 ms frames: frame + 6.5 ms look-ahead (RFC 6716 §2: 26.5 ms algorithmic delay). */
const CODEC_DELAY_MS = 26.5;

/** What the E-model needs of one audio stream in one window. */
export interface MosInput {
  /** Round-trip time of the connection, seconds; null counts as 0 (nothing measured, e.g. receive-only Firefox). */
  rttSeconds: number | null;
  /** Interarrival jitter, seconds (inbound: ours; outbound: the far end's, from remote-inbound-rtp). */
  jitterSeconds: number | null;
  /** Lost share of packets, 0–1. */
  lossRatio: number;
}

/** MOS from the E-model's transmission rating R (G.107 Annex B, eq. B-4). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/** Delay impairment Id for a one-way delay in ms (Cole & Rosenbluth's fit of G.107's Idd). */
export function delayImpairment(oneWayMs: number): number {
  return 0.024 * oneWayMs + (oneWayMs > 177.3 ? 0.11 * (oneWayMs - 177.3) : 0);
}

/** Effective equipment impairment with loss, Ie,eff (G.107 eq. 7-29, random loss). */
export function lossImpairment(lossRatio: number): number {
  const ppl = Math.min(100, Math.max(0, lossRatio * 100));
  return CODEC_IE + ((95 - CODEC_IE) * ppl) / (ppl + CODEC_BPL);
}

/**
 * MOS 1–4.5 of one audio stream. Used the same way for inbound audio (our loss and jitter) and
 * outbound audio (the far end's loss and jitter from remote-inbound-rtp).
 */
export function audioMos(input: MosInput): number {
  const rttMs = Math.max(0, (input.rttSeconds ?? 0) * 1000);
  const jitterMs = Math.max(0, (input.jitterSeconds ?? 0) * 1000);
  const oneWayMs = rttMs / 2 + 2 * jitterMs + CODEC_DELAY_MS;
  const r = R_DEFAULT - delayImpairment(oneWayMs) - lossImpairment(input.lossRatio);
  return mosFromR(r);
}
