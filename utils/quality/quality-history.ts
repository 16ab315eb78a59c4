import type { ConnectionPoint } from '../messaging/ui-types';
import type { RtcStat } from '../webrtc/report-schema';
import { createQualityWindow, type QualityWindow } from './quality-window';
import { qualityThresholdsSchema, type ConnectionWindow, type Direction } from './quality-types';

interface History {
  /** The quality engine over one poll: every report is a window of its own. */
  quality: QualityWindow;
  points: ConnectionPoint[];
}

// The charts show values, not classes: the thresholds only satisfy the engine's contract.
const CHART_THRESHOLDS = qualityThresholdsSchema.parse({});

const sumOf = (values: Array<number | null>): number | null =>
  values.some((value) => value !== null) ? values.reduce<number>((sum, value) => sum + (value ?? 0), 0) : null;
const maxOf = (values: Array<number | null>): number | null =>
  values.reduce<number | null>((max, value) => (value === null ? max : max === null ? value : Math.max(max, value)), null);

/**
 * The popup's headline figures of one poll window: bitrates summed over streams; loss and jitter of
 * the worst inbound stream, or, for a connection that only sends, what the far end reports.
 */
export function chartPoint(window: ConnectionWindow): ConnectionPoint {
  const of = (direction: Direction) => window.streams.filter((stream) => stream.direction === direction);
  const inbound = of('inbound');
  const outbound = of('outbound');
  const worst = (pick: (direction: Direction) => Array<number | null>) => maxOf(pick('inbound')) ?? maxOf(pick('outbound'));
  const loss = worst((direction) => of(direction).map((stream) => stream.lossRatio));
  // No stream in a direction: nothing flows that way (0, drawn as such), unlike a stream without a rate yet (null).
  const bitrate = (streams: typeof inbound) => (streams.length === 0 ? 0 : sumOf(streams.map((stream) => stream.bitrateBps)));
  return {
    at: window.to,
    bitrateInBps: bitrate(inbound),
    bitrateOutBps: bitrate(outbound),
    lossPercent: loss === null ? null : loss * 100,
    rttSeconds: window.rttSeconds,
    jitterSeconds: worst((direction) => of(direction).map((stream) => stream.jitterSeconds)),
  };
}

/**
 * Recent chart points per connection for the popup, from the same quality engine as the export
 * (one window per poll). Memory only (charts restart after a service-worker restart; exported
 * metrics do not depend on this) and capped both ways.
 */
export function createQualityHistory(options: { maxPointsPerGroup: number; maxGroups: number }) {
  const histories = new Map<string, History>();

  return {
    /** Adds the point derived from a new report of `groupId` (the first report only sets the baseline). */
    record(groupId: string, stats: RtcStat[], at: number): void {
      const history = histories.get(groupId);
      if (!history) {
        if (histories.size >= options.maxGroups) {
          const oldest = histories.keys().next().value;
          if (oldest !== undefined) histories.delete(oldest);
        }
        const quality = createQualityWindow({ thresholds: () => CHART_THRESHOLDS });
        quality.add(stats, at);
        quality.take(at);
        histories.set(groupId, { quality, points: [] });
        return;
      }
      history.quality.add(stats, at);
      const window = history.quality.take(at);
      if (!window) return;
      history.points.push(chartPoint(window));
      if (history.points.length > options.maxPointsPerGroup) history.points.shift();
    },
    points(groupId: string): ConnectionPoint[] {
      return histories.get(groupId)?.points.slice() ?? [];
    },
    forget(groupId: string): void {
      histories.delete(groupId);
    },
    size(): number {
      return histories.size;
    },
  };
}
export type QualityHistory = ReturnType<typeof createQualityHistory>;
