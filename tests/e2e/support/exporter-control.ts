import type { Page } from 'playwright-core';
import type { ChromiumHarness, WorkerGlobals } from './chromium';
import type { Pushgateway, GatewayGroup } from './pushgateway';
import { waitFor } from './free-port';
import type { Health } from '../../../utils/messaging/health';
import type { SettingsInput } from '../../../utils/settings/settings-schema';
import { registrationPattern } from '../../../utils/platforms/content-script-registrar';

/**
 * Drives the extension under test the way its own pages do: settings through storage (as the
 * options page saves them), questions through the typed extension messages.
 */

/**
 * Writes settings as the options page would, and waits until the capture scripts are registered
 * for `expectMatch` (a path pattern is registered on its whole host: see registrationPattern).
 */
export async function configureExtension(
  browser: ChromiumHarness,
  settings: SettingsInput,
  expectMatch?: string,
): Promise<void> {
  await browser.evalInWorker(
    async (value: SettingsInput) => {
      const { chrome } = globalThis as unknown as WorkerGlobals;
      await chrome.storage.sync.set({ settings: { version: 1, ...value }, settingsSavedAt: Date.now() });
    },
    settings,
  );
  if (expectMatch === undefined) return;
  await waitFor(
    () =>
      browser.evalInWorker(async (match: string) => {
        const { chrome } = globalThis as unknown as WorkerGlobals;
        const scripts = await chrome.scripting.getRegisteredContentScripts();
        return scripts.some((script) => script.matches?.includes(match));
      }, registrationPattern(expectMatch)),
    { what: `content scripts registered on ${expectMatch}`, timeoutMs: 15_000 },
  );
}

let messageId = 1;
/** Sends one typed message to the background from an extension page, as the popup and options do. */
export async function askBackground<T>(page: Page, type: string, data?: unknown): Promise<T> {
  const answer = await page.evaluate(
    ([messageType, payload, id]) =>
      new Promise<{ res?: unknown; err?: unknown }>((resolve) =>
        (globalThis as unknown as WorkerGlobals).chrome.runtime.sendMessage(
          { id, type: messageType, data: payload, timestamp: Date.now() },
          resolve,
        ),
      ),
    [type, data, messageId++] as const,
  );
  if (!answer || answer.err) throw new Error(`background answered ${type} with ${JSON.stringify(answer?.err)}`);
  return answer.res as T;
}

/** The background's health, asked from an extension page (opened once per harness). */
export async function extensionHealth(browser: ChromiumHarness): Promise<Health> {
  return askBackground<Health>(await extensionPage(browser), 'getHealth');
}

const pages = new WeakMap<ChromiumHarness, Page>();
/** A page of the extension to send messages from (the options page, kept open). */
export async function extensionPage(browser: ChromiumHarness): Promise<Page> {
  let page = pages.get(browser);
  if (!page || page.isClosed()) {
    page = await browser.openOptions();
    pages.set(browser, page);
  }
  return page;
}

/** Groups of peer connections (not the exporter's own group) in the gateway. */
export async function connectionGroups(gateway: Pushgateway): Promise<GatewayGroup[]> {
  return (await gateway.metrics()).filter((group) => (group.labels.peer_connection_id ?? group.labels.peerConnectionId) !== undefined);
}

/** Value of the first sample of `family` in a group, as a number. */
export function sampleValue(group: GatewayGroup, family: string, labels: Record<string, string> = {}): number | undefined {
  const samples = group.families[family]?.metrics ?? [];
  const match = samples.find((sample) => Object.entries(labels).every(([name, value]) => sample.labels[name] === value));
  return match?.value === undefined ? undefined : Number(match.value);
}

/** Newest push time of a group, in seconds (the gateway's own `push_time_seconds`). */
export function pushTime(group: GatewayGroup): number {
  return sampleValue(group, 'push_time_seconds') ?? 0;
}
