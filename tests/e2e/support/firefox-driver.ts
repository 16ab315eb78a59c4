import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { Page as PlaywrightPage } from 'playwright-core';
import { launchFirefox, type FirefoxHarness } from './firefox';
import { configureFirefoxExtension } from './firefox-control';
import { askBackground } from './exporter-control';
import { readStorageWith, writeStorageWith, type BrowserDriver, type DriverOptions, type ExtensionEval } from './browser-driver';
import type { ScenarioPage } from './platform-shapes';
import type { Health } from '../../../utils/messaging/health';

interface TabsGlobals {
  browser: { runtime: { getURL(path: string): string }; tabs: { create(options: { url: string; active: boolean }): Promise<unknown> } };
}

/** The Firefox driver; `harness` gives Firefox-only tests the browser itself. */
export interface FirefoxDriver extends BrowserDriver {
  readonly harness: FirefoxHarness;
}

/**
 * Launches Firefox ESR with the built extension and drives it for shared scenarios (see
 * browser-driver.ts). The background is stopped through the debugger protocol (firefox-debugger.ts).
 */
export async function createFirefoxDriver(options: DriverOptions = {}): Promise<FirefoxDriver> {
  const profile = options.persistentProfile ? fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-firefox-kept-')) : undefined;
  let harness!: FirefoxHarness;
  let quiet!: Page;

  /**
   * Launches, then swaps the options tab the extension opens on install (it asks for health every
   * 5 s, which would wake a stopped background) for the manifest shown in a tab: over BiDi a test
   * cannot navigate to moz-extension://, but an extension page may open one, and it has `browser.*`.
   */
  async function start(): Promise<void> {
    harness = await launchFirefox(profile ? { userDataDir: profile } : {});
    const options = await harness.findExtensionPage('options.html', 20_000);
    await options.evaluate(async () => {
      const { browser } = globalThis as unknown as TabsGlobals;
      await browser.tabs.create({ url: browser.runtime.getURL('/manifest.json'), active: false });
    });
    quiet = await harness.findExtensionPage('manifest.json');
    await options.close();
  }
  await start();

  const evaluate: ExtensionEval = (fn, arg) => quiet.evaluate(fn as (a: unknown) => unknown, arg) as never;

  return {
    name: 'Firefox',
    get harness() {
      return harness;
    },
    newPage: async () => (await harness.browser.newPage()) as ScenarioPage,
    configure: (settings, expectMatch) => configureFirefoxExtension(harness, settings, expectMatch),
    // Same message as Chromium's (Firefox extension pages have `chrome.runtime` with callbacks too).
    health: () => askBackground<Health>(quiet as unknown as PlaywrightPage, 'getHealth'),
    async stopBackground() {
      await harness.terminateBackground();
      // A started event page stays up for its idle timeout (30 s): STOPPED later means never woken.
      return async () => (await harness.backgroundStatus()) === 'STOPPED';
    },
    // No page freezing over BiDi: scenarios check stopBackground's answer instead.
    holdReports: async () => async () => {},
    readStorage: (keys) => readStorageWith(evaluate, keys),
    writeStorage: (items) => writeStorageWith(evaluate, items),
    async restartBrowser(whileClosed) {
      if (!profile) throw new Error('restartBrowser: create the driver with persistentProfile: true');
      await harness.close();
      await whileClosed?.();
      await start();
    },
    async close() {
      await harness?.close();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
