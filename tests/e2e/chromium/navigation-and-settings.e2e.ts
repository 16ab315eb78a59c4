import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type ChromiumHarness, type WorkerGlobals } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups } from '../support/exporter-control';
import {
  NAVIGATION_TARGETS,
  expectNavigationDeletesGroups,
  expectReloadDeletesOldGroups,
  chromiumLifecycleRig,
} from '../support/page-lifecycle-scenarios';

const INTERVAL_MS = 1_000;
const LOOPBACK = 'http://127.0.0.1/*';
/** A custom pattern with a path, as Amazon Connect's built-in `https://*.awsapps.com/connect/*` has. */
const PATH_PATTERN = 'http://127.0.0.1/agent/*';

function groupIds(groups: Awaited<ReturnType<typeof connectionGroups>>): string[] {
  return groups.map((group) => group.labels.peer_connection_id ?? '').sort();
}

describe('groups across navigation, reload, settings saves and worker restarts in Chromium', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let page: Page;

  const settingsFor = (customOrigins: string[], extra: Record<string, unknown> = {}) => ({
    gateway: { url: gateway.url, job: 'e2e' },
    customOrigins,
    intervalMs: INTERVAL_MS,
    // Windows pushed at the poll rate: a group under a new key (another agent id) is back within an interval.
    pushIntervalMs: INTERVAL_MS,
    agentId: 'agent-nav',
    ...extra,
  });

  async function startCallAndWaitForGroups(url: string): Promise<string[]> {
    await page.goto(url);
    await page.evaluate(() => window.startCall());
    const groups = await waitFor(async () => {
      const found = await connectionGroups(gateway);
      return found.length === 2 ? found : undefined;
    }, { timeoutMs: 15_000, what: 'the two groups of the call' });
    return groupIds(groups);
  }

  const rig = () => chromiumLifecycleRig({ gateway, pages, browser }, INTERVAL_MS);

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
  });

  afterAll(async () => {
    await stopCallRig({ browser, pages, gateway });
  });

  beforeEach(async () => {
    await page?.close();
    await configureExtension(browser, settingsFor([LOOPBACK]), LOOPBACK);
    await gateway.wipe();
    page = await browser.context.newPage();
  });

  it('deletes the old call’s groups within 2 s of location.reload() and exports the new call once', async () => {
    await expectReloadDeletesOldGroups(page, rig(), 'Chromium');
  });

  it.each(NAVIGATION_TARGETS)('deletes the call’s groups within 2 s of navigating the tab to %s, and none comes back', async (name, target) => {
    await expectNavigationDeletesGroups(page, rig(), target(pages), `Chromium, ${name}`);
  });

  it('keeps the groups through a same-document history change (pushState), as single-page call apps make', async () => {
    const before = await startCallAndWaitForGroups(pages.pageUrl('call'));
    await page.evaluate(() => history.pushState({}, '', '/call.html?view=chat'));
    await page.waitForTimeout(3 * INTERVAL_MS);
    expect(groupIds(await connectionGroups(gateway))).toEqual(before);
  });

  it('keeps a call under a custom pattern with a path through a settings save and a worker restart, badge on', async () => {
    await configureExtension(browser, settingsFor([PATH_PATTERN]), PATH_PATTERN);
    const url = `${pages.origin}/agent/call.html`;
    const before = await startCallAndWaitForGroups(url);

    // A save that changes nothing about capture (another agent id) must not cut the call.
    await configureExtension(browser, settingsFor([PATH_PATTERN], { agentId: 'agent-nav-2' }));
    await page.waitForTimeout(3 * INTERVAL_MS);
    expect(groupIds(await connectionGroups(gateway))).toEqual(before);

    await browser.stopServiceWorker();
    await browser.startServiceWorker();
    await page.waitForTimeout(3 * INTERVAL_MS);
    expect(groupIds(await connectionGroups(gateway))).toEqual(before);

    const title = await browser.evalInWorker(async (pageUrl: string) => {
      const { chrome } = globalThis as unknown as WorkerGlobals;
      const [tab] = await chrome.tabs.query({ url: pageUrl });
      return chrome.action.getTitle({ tabId: tab!.id! });
    }, url);
    expect(title).toContain('capture on');
  });
});
