import { MAX_REPORTS_PER_BATCH, MAX_STATS_PER_BATCH } from './inbound-reports';
// Most bytes (estimated) one relay message may carry: what the relay itself forwards at most.
import { MAX_BATCH_BYTES } from '../webrtc/report-batch-validator';

/**
 * Stats objects one unit of the per-tab budget pays for: a relay message costs one unit per
 * started 100 (a loopback audio+video report has 25), so the schema parse work a tab can cause
 * per second is bounded whatever the shape of its messages.
 */
export const STATS_PER_BUDGET_UNIT = 100;
/** Nesting walked when estimating size; a report is 3 levels deep (batch, report, stats object), deeper is refused by the schema anyway. */
const MAX_WALK_DEPTH = 4;
/** Estimated size of a value not walked (a number, boolean, null or a too-deep branch). */
const SCALAR_BYTES = 8;

export type BatchMeasure =
  | { ok: true; reports: number; stats: number; bytes: number }
  | { ok: false; reason: 'not-a-batch' | 'too-many-reports' | 'too-many-stats' | 'too-large' };

/**
 * Cheap checks of a relay message before any schema parse: an array of at most
 * MAX_REPORTS_PER_BATCH reports, at most MAX_STATS_PER_BATCH stats objects in all, and an
 * estimated size within MAX_BATCH_BYTES. The size walk stops as soon as the budget is exceeded,
 * so a huge message costs no more than the budget to refuse.
 */
export function measureBatch(data: unknown): BatchMeasure {
  if (!Array.isArray(data)) return { ok: false, reason: 'not-a-batch' };
  if (data.length > MAX_REPORTS_PER_BATCH) return { ok: false, reason: 'too-many-reports' };
  let stats = 0;
  for (const report of data) {
    const list = (report as { stats?: unknown } | null)?.stats;
    if (Array.isArray(list)) stats += list.length;
  }
  if (stats > MAX_STATS_PER_BATCH) return { ok: false, reason: 'too-many-stats' };
  const bytes = estimateBytes(data, 0, MAX_BATCH_BYTES + 1);
  if (bytes > MAX_BATCH_BYTES) return { ok: false, reason: 'too-large' };
  return { ok: true, reports: data.length, stats, bytes };
}

/** Budget cost of a relay message: one unit per started STATS_PER_BUDGET_UNIT stats objects, at least one. */
export function batchCost(measure: { stats: number }): number {
  return Math.max(1, Math.ceil(measure.stats / STATS_PER_BUDGET_UNIT));
}

function estimateBytes(value: unknown, depth: number, budget: number): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object' || value === null || depth >= MAX_WALK_DEPTH) return SCALAR_BYTES;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value) {
      total += estimateBytes(item, depth + 1, budget - total) + 1;
      if (total > budget) return total;
    }
    return total;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    total += key.length + 3 + estimateBytes((value as Record<string, unknown>)[key], depth + 1, budget - total);
    if (total > budget) return total;
  }
  return total;
}
