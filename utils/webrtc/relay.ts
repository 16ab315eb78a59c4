import { browser } from 'wxt/browser';
import type { ContentScriptContext } from 'wxt/utils/content-script-context';
import type { HookConfig } from '../messaging/hook-config';
import { onMessage, sendMessage } from '../messaging/extension-protocol';
import { HEARTBEAT_MS, openRelayChannel, type HookMessage } from './page-channel';
import { createDropCounter } from '../resilience/drop-counter';
import { createLifecycle } from '../lifecycle/lifecycle-manager';
import { validateHookBatch } from './report-batch-validator';
import { readHookConfig } from './hook-config-guard';
import { createReportPortClient, REPORT_PORT_NAME, type PortLike } from '../messaging/report-port';

/** hookReports messages the relay validates per second; the rest are dropped unread. */
export const RELAY_MAX_BATCHES_PER_SECOND = 40;
/** Heartbeats in a row the hook may leave unanswered before the relay says the page blocked it. */
export const RELAY_MISSED_PONGS = 3;
/** Most hook drop reasons the relay follows (the hook's own counter caps them too). */
const MAX_HOOK_DROP_REASONS = 32;
/** How long the relay gathers its drop counts before telling the background (only when it dropped something). */
export const RELAY_DROPS_REPORT_DELAY_MS = 5_000;
/** getHookConfig attempts (backoff from 500 ms, capped at 30 s) before waiting for hookConfigChanged. */
const CONFIG_ATTEMPTS = 8;

/** A running relay, as tests and diagnostics see it. */
export interface Relay {
  /** Rejected and dropped reports, by reason. */
  drops(): Record<string, number>;
  /** The config the hook was given, or null before the background answered. */
  config(): HookConfig | null;
}

/**
 * Starts the relay in an isolated content script: opens the private channel to the page hook
 * (page-channel.ts), gets the hook config from the background and hands it to the hook once
 * paired, validates every hookReports batch and posts the valid reports at once on the frame's
 * report port (report-port.ts): the hook batches them over its report interval, so nothing waits
 * here (on pagehide the document is gone before any timer would fire). Pings the hook every
 * {@link HEARTBEAT_MS}; the hook's answers carry its drop counts, which go to the background
 * with the relay's own (`hook-<reason>`), and a hook that stops answering is counted as
 * `hook-silent` (a page broke something the hook relies on).
 *
 * Stops only when the extension context is really gone (`browser.runtime.id` is unset, or a
 * message fails with "context invalidated"). WXT's context also aborts on a
 * "content-script-started" event, which a page can forge; such an abort is counted
 * (`forged-invalidation`) and otherwise ignored, and WXT's timer helpers are not used because
 * they stop with it.
 */
export function createRelay(ctx: ContentScriptContext, win: Window = window): Relay {
  const drops = createDropCounter({
    onCount: () => scheduleDropsReport(),
  });
  let dropsReported: Record<string, number> = {};
  let dropsReportScheduled = false;
  // Not ctx.setTimeout: WXT adds an abort listener per call and never removes it once the timeout
  // fired, so the relay's flush every ~100 ms grew the page's heap by ~1 MB an hour (issue 15).
  // The lifecycle owner frees each fired timeout's slot and clears the rest on invalidation.
  const timers = createLifecycle();
  const later = (run: () => void, ms: number) =>
    timers.setTimeout(() => {
      if (contextAlive()) run();
    }, ms);
  const reportPort = createReportPortClient(() => browser.runtime.connect({ name: REPORT_PORT_NAME }) as PortLike);
  const hookDropsSeen = new Map<string, number>();
  let config: HookConfig | null = null;
  let stopped = false;
  let windowStart = 0;
  let batchesInWindow = 0;
  let awaitingPong = false;
  let missedPongs = 0;
  let silentCounted = false;

  // Settings changed: the pushed config is for the tab, so ask again for this frame's own
  // (an iframe of another origin may be captured differently); keep the pushed one if that fails.
  const removeConfigListener = onMessage('hookConfigChanged', ({ data }) => {
    sendMessage('getHookConfig').then(setConfig, (error) => {
      if (!isInvalidated(error)) setConfig(data);
    });
  });

  const channel = openRelayChannel(win, {
    onMessage: onHookMessage,
    onRejected: (reason) => drops.count(`rejected-${reason}`),
    onPaired: () => {
      if (config) channel.send({ t: 'hookConfig', d: config });
    },
    onHelloIgnored: () => drops.count('hello-ignored'),
  });
  const heartbeat = setInterval(checkHeartbeat, HEARTBEAT_MS);

  /**
   * The extension context still exists: only then does anything this relay sends arrive. When it
   * is found gone (uninstall, update: `browser.runtime.id` unset), the relay stops, and the hook with it.
   */
  function contextAlive(): boolean {
    if (stopped) return false;
    if (browser.runtime?.id != null) return true;
    stop();
    return false;
  }

  function setConfig(value: unknown): void {
    // The hook's own zod-free check: the settings schema behind hookConfigSchema would load into every frame.
    const parsed = readHookConfig(value);
    if (!parsed) {
      drops.count('bad-config-from-background');
      return;
    }
    config = parsed;
    channel.send({ t: 'hookConfig', d: config });
  }

  function onHookMessage(message: HookMessage): void {
    // Not acknowledged once the context is gone: the hook then stops calling getStats().
    if (!contextAlive()) return;
    switch (message.t) {
      case 'hookReports':
        channel.send({ t: 'ack', id: typeof message.id === 'number' ? message.id : 0 });
        acceptBatch(message.d);
        return;
      case 'pong':
        awaitingPong = false;
        missedPongs = 0;
        silentCounted = false;
        absorbHookDrops(message.d);
        return;
      default:
        drops.count('rejected-unknown-message');
    }
  }

  function checkHeartbeat(): void {
    if (!channel.paired() || !contextAlive()) return;
    if (awaitingPong && ++missedPongs >= RELAY_MISSED_PONGS && !silentCounted) {
      // Once per silence: the hook is paired but no longer answers (page broke a built-in, froze...).
      silentCounted = true;
      drops.count('hook-silent');
    }
    awaitingPong = true;
    channel.send({ t: 'ping' });
  }

  /** The hook's cumulative drop counts: what grew since the last pong is counted here as `hook-<reason>`. */
  function absorbHookDrops(counts: unknown): void {
    if (typeof counts !== 'object' || counts === null) return;
    for (const [reason, value] of Object.entries(counts as Record<string, unknown>)) {
      if (!/^[a-z0-9-]{1,48}$/.test(reason) || typeof value !== 'number' || !Number.isSafeInteger(value)) continue;
      const seen = hookDropsSeen.get(reason);
      if (seen === undefined && hookDropsSeen.size >= MAX_HOOK_DROP_REASONS) continue;
      if (value > (seen ?? 0)) drops.count(`hook-${reason}`, value - (seen ?? 0));
      hookDropsSeen.set(reason, Math.max(value, seen ?? 0));
    }
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
    if (result.reports.length === 0) return;
    // Posted at once, in the page's event: the hook already gathered this batch over its report
    // interval, and an `ended` posted now reaches the background even when the document is going.
    try {
      reportPort.post(result.reports);
    } catch (error) {
      drops.count('forward-failed', result.reports.length);
      isInvalidated(error);
    }
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
    if (!contextAlive()) return;
    const current = drops.snapshot();
    const delta: Record<string, number> = {};
    for (const [reason, value] of Object.entries(current)) {
      const fresh = value - (dropsReported[reason] ?? 0);
      if (fresh > 0) delta[reason] = fresh;
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
    if (dropsReportScheduled || !contextAlive()) return;
    dropsReportScheduled = true;
    later(() => void reportDrops(), RELAY_DROPS_REPORT_DELAY_MS);
  }

  /** True (and the relay stops) when the error says the extension context is gone. */
  function isInvalidated(error: unknown): boolean {
    const message = error instanceof Error ? error.message : String(error);
    if (browser.runtime?.id != null && !/context invalidated/i.test(message)) return false;
    stop();
    return true;
  }

  /** The extension context is gone: stop the hook first (it keeps calling getStats() otherwise), then everything here. */
  function stop(): void {
    if (stopped) return;
    channel.send({ t: 'hookStop' });
    stopped = true;
    channel.close();
    clearInterval(heartbeat);
    removeConfigListener();
    reportPort.close();
    timers.dispose();
  }

  ctx.onInvalidated(() => {
    if (browser.runtime?.id == null) return stop();
    // The context is alive: a page forged WXT's "content-script-started" event (or the same
    // version was injected again, whose relay then stays unpaired). Either way this relay goes on.
    drops.count('forged-invalidation');
  });

  void fetchConfig(0);

  return {
    drops: () => drops.snapshot(),
    config: () => config,
  };
}

/** Entry point of the isolated-world content script. */
export function startRelay(ctx: ContentScriptContext): void {
  createRelay(ctx);
}
