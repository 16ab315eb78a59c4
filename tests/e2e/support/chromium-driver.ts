import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumHarness } from './chromium';
import { askBackground, configureExtension } from './exporter-control';
import { readStorageWith, writeStorageWith, type BrowserDriver, type DriverOptions, type ExtensionEval } from './browser-driver';
import type { Health } from '../../../utils/messaging/health';

/** The Chromium driver; `harness` gives Chromium-only tests the browser itself. */
export interface ChromiumDriver extends BrowserDriver {
  readonly harness: ChromiumHarness;
}

/** Launches Chromium with the built extension and drives it for shared scenarios (see browser-driver.ts). */
export async function createChromiumDriver(options: DriverOptions = {}): Promise<ChromiumDriver> {
  const profile = options.persistentProfile ? fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-kept-')) : undefined;
  let harness = await launchChromium(profile ? { userDataDir: profile } : {});
  let quiet: Page | undefined;

  /** The manifest shown as a page: an extension page with `chrome.*` that asks the worker nothing by itself. */
  async function quietPage(): Promise<Page> {
    if (!quiet || quiet.isClosed()) {
      quiet = await harness.context.newPage();
      await quiet.goto(harness.extensionUrl('manifest.json'));
    }
    return quiet;
  }
  const evaluate: ExtensionEval = async (fn, arg) => (await quietPage()).evaluate(fn as (a: unknown) => unknown, arg) as never;

  return {
    name: 'Chromium',
    get harness() {
      return harness;
    },
    newPage: () => harness.context.newPage(),
    configure: (settings, expectMatch) => configureExtension(harness, settings, expectMatch),
    async health() {
      return askBackground<Health>(await quietPage(), 'getHealth');
    },
    async stopBackground() {
      // The page a write goes through is open before the stop, so the write can start at once.
      await quietPage();
      // Chromium may start the worker again a few hundred ms after a stop with no extension event:
      // any start after the stop (counted as a DevTools event) means it did not stay stopped.
      const startsAtStop = await harness.stopServiceWorker();
      return async () => (await harness.serviceWorkerStarts()) === startsAtStop;
    },
    async holdReports(page) {
      const cdp = await harness.context.newCDPSession(page as Page);
      // A frozen page runs no timers: no reports, no pagehide "ended".
      await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
      return async () => {
        if (!(page as Page).isClosed()) await cdp.send('Page.setWebLifecycleState', { state: 'active' });
        await cdp.detach().catch(() => {});
      };
    },
    readStorage: (keys) => readStorageWith(evaluate, keys),
    writeStorage: (items) => writeStorageWith(evaluate, items),
    async restartBrowser(whileClosed) {
      if (!profile) throw new Error('restartBrowser: create the driver with persistentProfile: true');
      await harness.close();
      quiet = undefined;
      await whileClosed?.();
      harness = await launchChromium({ userDataDir: profile });
    },
    async close() {
      await harness.close();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
