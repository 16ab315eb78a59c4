import { defineCustomEventMessaging } from '@webext-core/messaging/page';
import type { HookConfig } from './hook-config';
import type { HookReport } from '../webrtc/report-schema';

/**
 * Page hook (MAIN world) <-> relay (isolated content script), over DOM custom events.
 * The page can read and forge these events, so the relay validates everything it receives and
 * sends nothing secret. Custom events (not window.postMessage) because their messenger removes
 * each response listener once answered, so a long call leaks nothing.
 */
export interface PageProtocol {
  /** Hook -> relay: reports of one or more connections. */
  hookReports(reports: HookReport[]): void;
  /** Hook -> relay: the hook is ready and wants its configuration. */
  hookReady(): HookConfig | null;
  /** Relay -> hook: new configuration (enabled, interval, stats types, limits). */
  hookConfig(config: HookConfig): void;
  /** Relay -> hook: the extension context is gone; stop polling and unhook. */
  hookStop(): void;
}

/** Namespace of the page channel; other extensions' or the page's own events are ignored. */
export const PAGE_CHANNEL_NAMESPACE = 'webrtc-stats-exporter/page';

/** Creates the page channel messenger (one per script). */
export function createPageMessenger() {
  return defineCustomEventMessaging<PageProtocol>({ namespace: PAGE_CHANNEL_NAMESPACE, logger: undefined });
}
