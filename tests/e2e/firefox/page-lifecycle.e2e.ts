import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { FIREFOX_BUILD_DIR, launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureFirefoxExtension } from '../support/firefox-control';
import { firefoxHealth } from '../support/firefox-background';
import { connectionGroups } from '../support/exporter-control';
import {
  NAVIGATION_TARGETS,
  expectForgedReportsEvictNothing,
  expectForgeryDoesNotStopCapture,
  expectNavigationDeletesGroups,
  expectNoGlobalBinding,
  expectReloadDeletesOldGroups,
  type LifecycleRig,
} from '../support/page-lifecycle-scenarios';

const INTERVAL_MS = 1_000;
const LOOPBACK = 'http://127.0.0.1/*';

describe('page lifecycle and a hostile page in Firefox (issue 10)', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let firefox: FirefoxHarness;
  let rig: LifecycleRig;
  let page: Page | undefined;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway({ adminApi: true }), startCallPageServer()]);
    firefox = await launchFirefox();
    await firefox.findExtensionPage('options.html', 20_000);
    await configureFirefoxExtension(
      firefox,
      // Windows pushed at the poll rate: a group of a new call is in the gateway within an interval.
      { gateway: { url: gateway.url, job: 'e2e' }, customOrigins: [LOOPBACK], intervalMs: INTERVAL_MS, pushIntervalMs: INTERVAL_MS },
      LOOPBACK,
    );
    rig = { gateway, pages, extensionId: firefox.extensionId, health: () => firefoxHealth(firefox), intervalMs: INTERVAL_MS };
  });

  afterAll(async () => {
    await firefox?.close();
    await pages?.close();
    await gateway?.stop();
  });

  beforeEach(async () => {
    await page?.close();
    // Closing the tab deletes its groups; a test starts from an empty gateway.
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, { timeoutMs: 15_000, what: 'groups of the previous test deleted' });
    await gateway.wipe();
    page = await firefox.browser.newPage();
  });

  it('deletes the old call’s groups within 2 s of location.reload() and exports the new call once', async () => {
    await expectReloadDeletesOldGroups(page!, rig, 'Firefox');
  });

  it.each(NAVIGATION_TARGETS)('deletes the call’s groups within 2 s of navigating the tab to %s, and none comes back', async (name, target) => {
    await expectNavigationDeletesGroups(page!, rig, target(pages), `Firefox, ${name}`);
  });

  it('adds no global binding: a page declaring let/const/class for every top-level name of hook.js runs', async () => {
    await expectNoGlobalBinding(page!, rig, path.join(FIREFOX_BUILD_DIR, 'content-scripts', 'hook.js'), 'Firefox');
  });

  it('keeps capturing after the page forges WXT’s start event and replaces the built-ins the relay and hook use', async () => {
    await expectForgeryDoesNotStopCapture(page!, rig);
  });

  it('ignores forged hookReports: no forged group, the call’s groups are neither displaced nor stopped', async () => {
    await expectForgedReportsEvictNothing(page!, rig);
  });
});
