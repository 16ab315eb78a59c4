import { z } from 'zod';
import { hookReportSchema, type HookReport } from './report-schema';

/** Most reports the relay accepts in one hookReports message from the page. */
export const MAX_REPORTS_PER_BATCH = 100;
/** Most bytes (as JSON) of one hookReports message from the page. */
export const MAX_BATCH_BYTES = 1_000_000;

const batchSchema = z.array(hookReportSchema).max(MAX_REPORTS_PER_BATCH);

/** A validated report with its serialized size, for the relay's size-bounded forwarding. */
export interface SizedReport {
  report: HookReport;
  bytes: number;
}

export type BatchValidation =
  | { ok: true; reports: SizedReport[] }
  | { ok: false; reason: 'not-array' | 'too-many' | 'too-large' | 'invalid'; detail?: string };

/**
 * Validates one hookReports message from the page (which can forge it). Cheap checks first
 * (array, count, serialized size) so an oversized batch is refused before zod walks it; then
 * the whole batch must match the report schema, or it is rejected whole.
 */
export function validateHookBatch(data: unknown): BatchValidation {
  if (!Array.isArray(data)) return { ok: false, reason: 'not-array' };
  if (data.length > MAX_REPORTS_PER_BATCH) return { ok: false, reason: 'too-many' };
  const sizes: number[] = [];
  let total = 0;
  for (const item of data as unknown[]) {
    const bytes = jsonLength(item);
    total += bytes;
    if (total > MAX_BATCH_BYTES) return { ok: false, reason: 'too-large' };
    sizes.push(bytes);
  }
  const parsed = batchSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, reason: 'invalid', detail: parsed.error.issues[0]?.message };
  }
  return { ok: true, reports: parsed.data.map((report, index) => ({ report, bytes: sizes[index] ?? 0 })) };
}

function jsonLength(value: unknown): number {
  try {
    // Cycles, BigInt or a throwing getter: nothing the schema would accept anyway.
    return JSON.stringify(value)?.length ?? Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
