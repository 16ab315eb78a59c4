import { z } from 'zod';

/**
 * The quality engine's contract: what one push window of a connection looks like, and the
 * thresholds that classify it. Metric names for these values are in docs/metrics.md.
 * Units are base units (seconds, bits per second, ratios 0–1); the UI shows ms and %.
 */

export type MediaKind = 'audio' | 'video';
export type Direction = 'inbound' | 'outbound';

export const QUALITY_CLASSES = ['good', 'fair', 'poor'] as const;
export type QualityClass = (typeof QUALITY_CLASSES)[number];

/** Why a window is not good. A bounded set: each is a label value of `webrtc_quality_reason`. */
export const QUALITY_REASONS = [
  'high_loss',
  'high_rtt',
  'high_jitter',
  'low_mos',
  'freezes',
  'concealment',
  'cpu_limited',
  'bandwidth_limited',
] as const;
export type QualityReason = (typeof QUALITY_REASONS)[number];

export const QUALITY_LIMITATIONS = ['none', 'cpu', 'bandwidth', 'other'] as const;
export type QualityLimitation = (typeof QUALITY_LIMITATIONS)[number];

/** One kind+direction of a connection over one window; SSRCs of the same kind+direction (simulcast, renegotiation) are combined. */
export interface StreamWindow {
  kind: MediaKind;
  direction: Direction;
  /** Payload bits per second over the window; null until two snapshots exist. */
  bitrateBps: number | null;
  /** Packets per second over the window; null until two snapshots exist. */
  packetRate: number | null;
  /** Lost share of packets in the window, 0–1 (outbound: as the far end reports it). */
  lossRatio: number | null;
  /** Highest jitter seen in the window, seconds (outbound: the far end's). */
  jitterSeconds: number | null;
  /** Audio only: MOS 1–4.5 from the simplified E-model. */
  mos: number | null;
  /** Audio inbound only: concealed share of samples in the window, 0–1. */
  concealmentRatio: number | null;
  /** Video only: frames decoded (inbound) or encoded (outbound) per second. */
  framesPerSecond: number | null;
  /** Video only: last frame height in the window, pixels. */
  frameHeight: number | null;
  /** Video inbound only: share of the window spent frozen, 0–1. */
  frozenRatio: number | null;
  /** Video inbound only: freezes since the stream started (a counter). */
  freezesTotal: number | null;
  /** Video outbound only: why the encoder limits quality (last in window). */
  qualityLimitation: QualityLimitation | null;
}

/** One push window of one connection. */
export interface ConnectionWindow {
  /** Unix ms of the first and last snapshot the window's values come from. */
  from: number;
  to: number;
  /** Highest round-trip time in the window, seconds. */
  rttSeconds: number | null;
  /** At most one entry per kind+direction, in a stable order (audio before video, inbound before outbound). */
  streams: StreamWindow[];
  qualityClass: QualityClass;
  /** Reasons active in the window, in QUALITY_REASONS order; empty when good. */
  reasons: QualityReason[];
}

/**
 * Thresholds that classify a window (options page, Quality section). A value at or past a
 * `fair` threshold makes the window fair, at or past a `poor` one poor. Defaults and their
 * sources are in the README ("Quality").
 */
export const qualityThresholdsSchema = z.object({
  /** Loss ratio from which a stream is fair. Default 0.01 (1 %). */
  lossFair: z.number().min(0).max(1).default(0.01),
  /** Loss ratio from which a stream is poor. Default 0.05 (5 %). */
  lossPoor: z.number().min(0).max(1).default(0.05),
  /** Round-trip time from which a connection is fair, seconds. Default 0.25. */
  rttFairSeconds: z.number().min(0).max(60).default(0.25),
  /** Round-trip time from which a connection is poor, seconds. Default 0.4. */
  rttPoorSeconds: z.number().min(0).max(60).default(0.4),
  /** Jitter from which a stream is fair, seconds. Default 0.03. */
  jitterFairSeconds: z.number().min(0).max(10).default(0.03),
  /** Jitter from which a stream is poor, seconds. Default 0.05. */
  jitterPoorSeconds: z.number().min(0).max(10).default(0.05),
  /** MOS below which audio is fair. Default 4.0. */
  mosFair: z.number().min(1).max(5).default(4.0),
  /** MOS below which audio is poor. Default 3.5. */
  mosPoor: z.number().min(1).max(5).default(3.5),
  /** Frozen share of a window from which inbound video is fair. Default 0.01. */
  frozenFair: z.number().min(0).max(1).default(0.01),
  /** Frozen share of a window from which inbound video is poor. Default 0.05. */
  frozenPoor: z.number().min(0).max(1).default(0.05),
  /** Concealed share of audio samples from which inbound audio is fair. Default 0.02. */
  concealmentFair: z.number().min(0).max(1).default(0.02),
  /** Concealed share of audio samples from which inbound audio is poor. Default 0.08. */
  concealmentPoor: z.number().min(0).max(1).default(0.08),
});
export type QualityThresholds = z.infer<typeof qualityThresholdsSchema>;
