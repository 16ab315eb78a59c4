import type { DropCounter } from '../resilience/drop-counter';
import type { SizedReport } from './report-batch-validator';

/** Reports waiting in the relay to be forwarded, at most one per connection. */
export interface ReportCoalescer {
  /** Adds reports; a newer stats report of a connection replaces the waiting one. */
  add(reports: SizedReport[]): void;
  /** Takes the oldest waiting reports, at most `maxReports` and `maxBytes` (at least one). */
  take(maxReports: number, maxBytes: number): SizedReport['report'][];
  size(): number;
}

/**
 * Creates the relay's outgoing queue. Keyed by pcId: only the newest stats snapshot matters
 * (the background pushes state, not a log), and `ended` is final, so it replaces a waiting
 * stats report and is never replaced by one. At most `maxPending` connections wait; reports for
 * more are dropped and counted.
 */
export function createReportCoalescer(options: { maxPending: number; drops: DropCounter }): ReportCoalescer {
  const pending = new Map<string, SizedReport>();
  return {
    add(reports) {
      for (const item of reports) {
        const { pcId } = item.report;
        const waiting = pending.get(pcId);
        if (!waiting) {
          if (pending.size >= options.maxPending) {
            options.drops.count('relay-queue-full');
            continue;
          }
          pending.set(pcId, item);
          continue;
        }
        if (waiting.report.event === 'ended' || item.report.seq < waiting.report.seq) {
          options.drops.count('relay-stale-report');
          continue;
        }
        // Newest wins; the older snapshot was never sent, so it counts as coalesced, not lost.
        options.drops.count('relay-coalesced');
        pending.set(pcId, item);
      }
    },
    take(maxReports, maxBytes) {
      const batch: SizedReport['report'][] = [];
      let bytes = 0;
      for (const [pcId, item] of pending) {
        if (batch.length >= maxReports) break;
        if (batch.length > 0 && bytes + item.bytes > maxBytes) break;
        batch.push(item.report);
        bytes += item.bytes;
        pending.delete(pcId);
      }
      return batch;
    },
    size: () => pending.size,
  };
}
