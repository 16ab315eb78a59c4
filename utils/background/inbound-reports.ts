import { z } from 'zod';
import { hookReportSchema, type HookReport } from '../webrtc/report-schema';
import { MAX_REPORTS_PER_BATCH as RELAY_MAX_REPORTS_PER_BATCH } from '../webrtc/report-batch-validator';

/**
 * Most reports one relay message may carry: exactly what the relay forwards at most. A smaller
 * limit here would reject, whole, every full batch a relay sends (it forwards the hook's batch as
 * it came, up to the relay's own limit).
 */
export const MAX_REPORTS_PER_BATCH = RELAY_MAX_REPORTS_PER_BATCH;
/** Most stats objects one relay message may carry in all, whatever the per-report cap says. */
export const MAX_STATS_PER_BATCH = 5_000;

const batchSchema = z
  .array(hookReportSchema)
  .max(MAX_REPORTS_PER_BATCH)
  .refine(
    (reports) =>
      reports.reduce((sum, report) => sum + (report.event === 'stats' ? report.stats.length : 0), 0) <=
      MAX_STATS_PER_BATCH,
    { message: `a batch may carry at most ${MAX_STATS_PER_BATCH} stats objects` },
  );

/** Where a relay message came from, as the browser (not the page) says. */
export interface ReportSource {
  tabId: number;
  frameId: number;
  /** The frame's URL; for about:blank frames, the URL of the document that made them. */
  url: string;
}

export type InboundBatch =
  | { ok: true; source: ReportSource; reports: HookReport[] }
  | { ok: false; reason: 'not-from-tab' | 'invalid-batch'; detail: string };

export interface SenderLike {
  tab?: { id?: number; url?: string };
  frameId?: number;
  url?: string;
  origin?: string;
  /** Chrome: 'active', 'prerender', 'cached' or 'pending_deletion' (a document being unloaded). */
  documentLifecycle?: string;
}

/**
 * Validates a relay message and scopes it to the tab and frame the browser says sent it.
 * Nothing in the payload can name another tab, frame or group.
 */
export function parseInboundBatch(data: unknown, sender: SenderLike): InboundBatch {
  const tabId = sender.tab?.id;
  if (typeof tabId !== 'number' || tabId < 0) {
    return { ok: false, reason: 'not-from-tab', detail: 'reports are only accepted from content scripts in tabs' };
  }
  const parsed = batchSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: 'invalid-batch',
      detail: issue ? `${issue.path.join('.') || '(batch)'}: ${issue.message}` : 'invalid batch',
    };
  }
  return {
    ok: true,
    source: { tabId, frameId: sender.frameId ?? 0, url: senderFrameUrl(sender) },
    reports: parsed.data,
  };
}

/**
 * The URL that decides capture for a sender's frame. An about:blank or srcdoc frame has an opaque
 * URL and its creator's origin: it is judged by the tab's URL when the tab has that origin (so a
 * frame made by an Amazon Connect page under `/connect/` is judged by that path), else by the
 * origin alone.
 */
export function senderFrameUrl(sender: SenderLike): string {
  const url = sender.url ?? '';
  if ((url === '' || url.startsWith('about:')) && sender.origin && sender.origin !== 'null') {
    const tabUrl = sender.tab?.url;
    return tabUrl && originOfUrl(tabUrl) === sender.origin ? tabUrl : `${sender.origin}/`;
  }
  return url || sender.tab?.url || '';
}

function originOfUrl(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Most distinct reasons one relay drop report may carry. */
const MAX_RELAY_DROP_REASONS = 32;
const relayDropsSchema = z
  .record(z.string().regex(/^[a-z0-9-]{1,64}$/), z.number().int().positive().max(1_000_000_000))
  .refine((counts) => Object.keys(counts).length <= MAX_RELAY_DROP_REASONS, { message: 'too many reasons' });

/**
 * A relay's drop counts since its last report, named `page-<reason>` for health; null when the
 * message is not one (then it is itself counted as rejected by the caller).
 */
export function parseRelayDrops(data: unknown, sender: SenderLike): Record<string, number> | null {
  if (typeof sender.tab?.id !== 'number') return null;
  const parsed = relayDropsSchema.safeParse(data);
  if (!parsed.success) return null;
  return Object.fromEntries(Object.entries(parsed.data).map(([reason, count]) => [`page-${reason}`, count]));
}
