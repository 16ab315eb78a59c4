import type { ContentScriptContext } from 'wxt/utils/content-script-context';
import type { HookConfig } from '../messaging/hook-config';
import { onMessage, sendMessage } from '../messaging/extension-protocol';
import { createPageMessenger } from '../messaging/page-protocol';
import { createDropCounter } from '../resilience/drop-counter';
import { createLifecycle } from '../lifecycle/lifecycle-manager';
import { MAX_BATCH_BYTES, MAX_REPORTS_PER_BATCH, validateHookBatch } from './report-batch-validator';
import { createReportCoalescer } from './report-coalescer';
import { readHookConfig } from './hook-config-guard';

/** Delay between the first waiting report and its forwarding: reports arriving meanwhile coalesce. */
export const RELAY_FLUSH_DELAY_MS = 100;
/** Connections whose reports may wait in the relay at once. */
export const RELAY_MAX_PENDING = 200;
/** hookReports messages the relay validates per second; the rest are dropped unread. */
export const RELAY_MAX_BATCHES_PER_SECOND = 40;
/** hookConfig pushes that may wait for a hook that is not listening (yet). */
const MAX_UNANSWERED_PUSHES = 4;
/**
 * hookReady messages that may reset the push counter: a hook sends at most a handful, and a
 * page that forges more must not make the relay stack up unanswered pushes.
 */
const MAX_READY_RESETS = 16;
/** How long the relay gathers its drop counts before telling the background (only when it dropped something). */
export const RELAY_DROPS_REPORT_DELAY_MS = 5_000;
/** Counted for diagnostics but not losses: a newer report of the same connection replaced them. */
const SUPERSEDED = new Set(['relay-coalesced', 'relay-stale-report']);
/** getHookConfig attempts (backoff from 500 ms, capped at 30 s) before waiting for hookConfigChanged. */
const CONFIG_ATTEMPTS = 8;

/** A running relay, as tests and diagnostics see it. */
export interface Relay {
  /** Rejected, dropped and coalesced reports, by reason. */
  drops(): Record<string, number>;
  /** The config the hook was given, or null before the background answered. */
  config(): HookConfig | null;
  /** Reports waiting to be forwarded. */
  pending(): number;
}

/**
 * Starts the relay in an isolated content script: gets the hook config from the background
 * and hands it to the hook (answering hookReady and pushing it, since either script may start
 * first), validates every hookReports batch from the page and forwards the valid reports,
 * coalesced per connection, with at most one message to the background in flight. When the
 * extension context is invalidated it tells the hook to stop and removes its listeners.
 */
export function createRelay(ctx: ContentScriptContext): Relay {
  const drops = createDropCounter({
    onCount: (reason) => {
      if (!SUPERSEDED.has(reason)) scheduleDropsReport();
    },
  });
  let dropsReported: Record<string, number> = {};
  let dropsReportScheduled = false;
  const page = createPageMessenger();
  // Not ctx.setTimeout: WXT adds an abort listener per call and never removes it once the timeout
  // fired, so the relay's flush every ~100 ms grew the page's heap by ~1 MB an hour (issue 15).
  // The lifecycle owner frees each fired timeout's slot and clears the rest on invalidation.
  const timers = createLifecycle();
  const later = (run: () => void, ms: number) =>
    timers.setTimeout(() => {
      if (ctx.isValid) run();
    }, ms);
  const queue = createReportCoalescer({ maxPending: RELAY_MAX_PENDING, drops });
  let config: HookConfig | null = null;
  let unansweredPushes = 0;
  let readyResets = 0;
  let flushScheduled = false;
  let inFlight = false;
  let windowStart = 0;
  let batchesInWindow = 0;

  function pushConfig(): void {
    if (!config || ctx.isInvalid) return;
    if (unansweredPushes >= MAX_UNANSWERED_PUSHES) {
      drops.count('config-push-unanswered');
      return;
    }
    unansweredPushes++;
    page.sendMessage('hookConfig', config).then(
      () => (unansweredPushes = Math.max(0, unansweredPushes - 1)),
      () => (unansweredPushes = Math.max(0, unansweredPushes - 1)),
    );
  }

  function setConfig(value: unknown): void {
    // The hook's own zod-free check: the settings schema behind hookConfigSchema would load into every frame.
    const parsed = readHookConfig(value);
    if (!parsed) {
      drops.count('bad-config-from-background');
      return;
    }
    config = parsed;
    pushConfig();
  }

  function acceptBatch(data: unknown): void {
    const now = Date.now();
    if (now - windowStart >= 1_000) {
      windowStart = now;
      batchesInWindow = 0;
    }
    if (++batchesInWindow > RELAY_MAX_BATCHES_PER_SECOND) {
      drops.count('relay-rate-limited');
      return;
    }
    const result = validateHookBatch(data);
    if (!result.ok) {
      drops.count(`rejected-${result.reason}`);
      return;
    }
    queue.add(result.reports);
    scheduleFlush();
  }

  function scheduleFlush(): void {
    if (flushScheduled || inFlight || queue.size() === 0 || ctx.isInvalid) return;
    flushScheduled = true;
    later(() => void flush(), RELAY_FLUSH_DELAY_MS);
  }

  async function flush(): Promise<void> {
    flushScheduled = false;
    const batch = queue.take(MAX_REPORTS_PER_BATCH, MAX_BATCH_BYTES);
    if (batch.length === 0) return;
    inFlight = true;
    try {
      await sendMessage('hookReports', batch);
    } catch (error) {
      drops.count('forward-failed', batch.length);
      if (isInvalidated(error)) return;
    } finally {
      inFlight = false;
    }
    scheduleFlush();
  }

  async function fetchConfig(attempt: number): Promise<void> {
    try {
      const answer = await sendMessage('getHookConfig');
      // A hookConfigChanged may have arrived meanwhile; it is newer than this answer.
      if (!config) setConfig(answer);
    } catch (error) {
      if (isInvalidated(error)) return;
      drops.count('config-fetch-failed');
      if (attempt + 1 < CONFIG_ATTEMPTS && !config) {
        later(() => void fetchConfig(attempt + 1), Math.min(30_000, 500 * 2 ** attempt));
      }
    }
  }

  /** Tells the background what was dropped since the last report, so that health shows page-side drops too. */
  async function reportDrops(): Promise<void> {
    dropsReportScheduled = false;
    const current = drops.snapshot();
    const delta: Record<string, number> = {};
    for (const [reason, value] of Object.entries(current)) {
      const fresh = value - (dropsReported[reason] ?? 0);
      if (fresh > 0 && !SUPERSEDED.has(reason)) delta[reason] = fresh;
    }
    if (Object.keys(delta).length === 0) return;
    try {
      await sendMessage('relayDrops', delta);
      dropsReported = current;
    } catch (error) {
      if (!isInvalidated(error)) scheduleDropsReport();
    }
  }

  function scheduleDropsReport(): void {
    if (dropsReportScheduled || ctx.isInvalid) return;
    dropsReportScheduled = true;
    later(() => void reportDrops(), RELAY_DROPS_REPORT_DELAY_MS);
  }

  /** True (and the context is invalidated) when the extension context is gone. */
  function isInvalidated(error: unknown): boolean {
    const message = error instanceof Error ? error.message : String(error);
    if (!ctx.isInvalid && !/context invalidated/i.test(message)) return false;
    if (!ctx.isInvalid) ctx.notifyInvalidated();
    return true;
  }

  page.onMessage('hookReady', () => {
    // The hook is listening now: pushes made before it started will never be answered.
    if (readyResets < MAX_READY_RESETS) {
      readyResets++;
      unansweredPushes = 0;
    }
    // Also pushed, because the page can answer hookReady first with a forged config.
    if (config) queueMicrotask(pushConfig);
    return config;
  });
  page.onMessage('hookReports', ({ data }) => acceptBatch(data));
  // Settings changed: the pushed config is for the tab, so ask again for this frame's own
  // (an iframe of another origin may be captured differently); keep the pushed one if that fails.
  const removeConfigListener = onMessage('hookConfigChanged', ({ data }) => {
    sendMessage('getHookConfig').then(setConfig, (error) => {
      if (!isInvalidated(error)) setConfig(data);
    });
  });

  ctx.onInvalidated(() => {
    // Stop the hook first: it keeps calling getStats() otherwise, with nobody to forward to.
    page.sendMessage('hookStop').catch(() => {});
    page.removeAllListeners();
    removeConfigListener();
    timers.dispose();
  });

  void fetchConfig(0);

  return {
    drops: () => drops.snapshot(),
    config: () => config,
    pending: () => queue.size(),
  };
}

/** Entry point of the isolated-world content script. */
export function startRelay(ctx: ContentScriptContext): void {
  createRelay(ctx);
}
