import { z } from 'zod';
import { browser } from 'wxt/browser';
import { createSettingsStore } from '../settings/settings-store';
import type { SettingsStore } from '../settings/settings-store-types';
import type { Settings } from '../settings/settings-schema';
import { sendMessage } from '../messaging/extension-protocol';
import { healthSchema, type Health } from '../messaging/health';
import {
  connectionTestResultSchema,
  tabStatusSchema,
  type ConnectionTestResult,
  type TabStatus,
} from '../messaging/ui-types';
import { askBackground, type BackgroundReply } from './background-client';
import { releaseOriginPermission, requestOriginPermission } from './origin-permission';

/** Everything the options page and popup read or change outside themselves. */
export interface UiBackend {
  settingsStore(): SettingsStore;
  getHealth(): Promise<BackgroundReply<Health>>;
  getTabStatus(tabId: number): Promise<BackgroundReply<TabStatus>>;
  testConnection(gateway: Settings['gateway'], timeoutMs: number): Promise<BackgroundReply<ConnectionTestResult>>;
  testRemoteWrite(
    remoteWrite: Settings['remoteWrite'],
    job: string,
    timeoutMs: number,
  ): Promise<BackgroundReply<ConnectionTestResult>>;
  setOriginCapture(origin: string, enabled: boolean): Promise<BackgroundReply<unknown>>;
  /** Call synchronously inside a click handler: see requestOriginPermission. */
  requestOrigins(origins: string[]): Promise<boolean>;
  /** Gives host permissions back to the browser (no user gesture needed). */
  releaseOrigins(origins: string[]): Promise<boolean>;
  activeTabId(): Promise<number | undefined>;
  openOptionsPage(): Promise<void>;
}

/** The real backend: the settings store, the background over extension messaging, the browser. */
export function createUiBackend(): UiBackend {
  let store: SettingsStore | undefined;
  return {
    settingsStore: () => (store ??= createSettingsStore()),
    getHealth: () => askBackground(() => sendMessage('getHealth', undefined), healthSchema),
    getTabStatus: (tabId) => askBackground(() => sendMessage('getTabStatus', { tabId }), tabStatusSchema),
    testConnection: (gateway, timeoutMs) =>
      askBackground(() => sendMessage('testConnection', gateway), connectionTestResultSchema, timeoutMs),
    testRemoteWrite: (remoteWrite, job, timeoutMs) =>
      askBackground(() => sendMessage('testRemoteWrite', { remoteWrite, job }), connectionTestResultSchema, timeoutMs),
    setOriginCapture: (origin, enabled) =>
      askBackground(() => sendMessage('setOriginCapture', { origin, enabled }), z.unknown()),
    requestOrigins: (origins) => requestOriginPermission(browser.permissions, origins),
    releaseOrigins: (origins) => releaseOriginPermission(browser.permissions, origins),
    activeTabId: async () => {
      const asked = tabIdFromQuery(globalThis.location?.search ?? '');
      if (asked !== undefined) return asked;
      const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
      return tab?.id;
    },
    openOptionsPage: () => browser.runtime.openOptionsPage(),
  };
}

/**
 * `?tabId=N` on the popup's URL: the popup opened as a page (a pinned window, a test) would see
 * itself as the active tab, so it can be told which tab to describe. Undefined when absent or not
 * a non-negative integer.
 */
export function tabIdFromQuery(search: string): number | undefined {
  const raw = new URLSearchParams(search).get('tabId');
  if (raw === null || !/^\d{1,10}$/.test(raw)) return undefined;
  return Number(raw);
}
