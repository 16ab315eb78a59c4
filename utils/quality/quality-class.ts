import {
  QUALITY_REASONS,
  type QualityClass,
  type QualityReason,
  type QualityThresholds,
  type StreamWindow,
} from './quality-types';

/** A window's verdict: its class and the reasons, in QUALITY_REASONS order (empty when good). */
export interface QualityVerdict {
  qualityClass: QualityClass;
  reasons: QualityReason[];
}

const RANK: Record<QualityClass, number> = { good: 0, fair: 1, poor: 2 };

/** The worse of two classes. */
export function worseClass(a: QualityClass, b: QualityClass): QualityClass {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Classifies one window of a connection: each value at or past its `fair` threshold makes the
 * window fair, at or past its `poor` threshold poor (MOS: below); the worst value wins. An encoder
 * limited by CPU or bandwidth makes the window at most fair: the sender adapts on purpose, and the
 * user sees a smaller picture, not a broken call. Missing values (null) count for nothing.
 */
export function classifyWindow(
  window: { rttSeconds: number | null; streams: readonly StreamWindow[] },
  thresholds: QualityThresholds,
): QualityVerdict {
  let qualityClass: QualityClass = 'good';
  const active = new Set<QualityReason>();
  const mark = (reason: QualityReason, level: QualityClass) => {
    if (level === 'good') return;
    active.add(reason);
    qualityClass = worseClass(qualityClass, level);
  };
  /** `poor` at or past `poorAt`, `fair` at or past `fairAt`, else good. */
  const atOrPast = (value: number | null, fairAt: number, poorAt: number): QualityClass =>
    value === null ? 'good' : value >= poorAt ? 'poor' : value >= fairAt ? 'fair' : 'good';

  mark('high_rtt', atOrPast(window.rttSeconds, thresholds.rttFairSeconds, thresholds.rttPoorSeconds));
  for (const stream of window.streams) {
    mark('high_loss', atOrPast(stream.lossRatio, thresholds.lossFair, thresholds.lossPoor));
    mark('high_jitter', atOrPast(stream.jitterSeconds, thresholds.jitterFairSeconds, thresholds.jitterPoorSeconds));
    if (stream.mos !== null) {
      mark('low_mos', stream.mos < thresholds.mosPoor ? 'poor' : stream.mos < thresholds.mosFair ? 'fair' : 'good');
    }
    mark('freezes', atOrPast(stream.frozenRatio, thresholds.frozenFair, thresholds.frozenPoor));
    mark('concealment', atOrPast(stream.concealmentRatio, thresholds.concealmentFair, thresholds.concealmentPoor));
    if (stream.qualityLimitation === 'cpu') mark('cpu_limited', 'fair');
    if (stream.qualityLimitation === 'bandwidth') mark('bandwidth_limited', 'fair');
  }
  return { qualityClass, reasons: QUALITY_REASONS.filter((reason) => active.has(reason)) };
}
