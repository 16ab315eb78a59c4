import type { ConnectionPoint } from '../messaging/ui-types';
import type { RtcStat } from '../webrtc/report-schema';
import { qualityPoint, qualityTotals, type QualityTotals } from './quality-points';

interface History {
  last: QualityTotals;
  points: ConnectionPoint[];
}

/**
 * Recent chart points per connection for the popup. Memory only (charts restart after a
 * service-worker restart; exported metrics do not depend on this) and capped both ways.
 */
export function createQualityHistory(options: { maxPointsPerGroup: number; maxGroups: number }) {
  const histories = new Map<string, History>();

  return {
    /** Adds the point derived from a new report of `groupId`. */
    record(groupId: string, stats: RtcStat[], at: number): void {
      const totals = qualityTotals(stats, at);
      const history = histories.get(groupId);
      if (!history) {
        if (histories.size >= options.maxGroups) {
          const oldest = histories.keys().next().value;
          if (oldest !== undefined) histories.delete(oldest);
        }
        histories.set(groupId, { last: totals, points: [] });
        return;
      }
      history.points.push(qualityPoint(history.last, totals));
      if (history.points.length > options.maxPointsPerGroup) history.points.shift();
      history.last = totals;
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
