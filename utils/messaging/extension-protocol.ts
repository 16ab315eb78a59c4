import { defineExtensionMessaging } from '@webext-core/messaging';
import type { HookConfig } from './hook-config';
import type { Health } from './health';
import type { TabStatus, ConnectionTestResult } from './ui-types';
import type { Settings } from '../settings/settings-schema';

/**
 * Messages between the relay content script, the background and the extension's pages.
 * Payloads from content scripts are typed `unknown` on purpose: they carry page data, and the
 * background validates them with zod before use. Hook reports travel on their own port
 * (report-port.ts), not here.
 */
export interface ExtensionProtocol {
  /** Relay -> background: what the relay dropped or rejected since its last message, by reason. */
  relayDrops(counts: unknown): void;
  /** Relay -> background: what the hook in this frame should do. */
  getHookConfig(): HookConfig;
  /** Background -> relay: settings changed; apply without a reload. */
  hookConfigChanged(config: HookConfig): void;
  /** UI -> background: health of the whole extension. */
  getHealth(): Health;
  /** UI -> background: one tab's capture state and live connections. */
  getTabStatus(data: { tabId: number }): TabStatus;
  /** UI -> background: check a gateway without saving it. */
  testConnection(gateway: Settings['gateway']): ConnectionTestResult;
  /** UI -> background: check a remote-write receiver without saving it (one test sample under `job`). */
  testRemoteWrite(data: { remoteWrite: Settings['remoteWrite']; job: string }): ConnectionTestResult;
  /** UI -> background: switch capture on or off for one origin. */
  setOriginCapture(data: { origin: string; enabled: boolean }): void;
}

export const extensionMessaging = defineExtensionMessaging<ExtensionProtocol>();
export const { sendMessage, onMessage } = extensionMessaging;
