import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { WorkerGlobals } from '../support/chromium';
import { createChromiumDriver } from '../support/chromium-driver';
import { waitFor } from '../support/free-port';
import { DURABLE_INTERVAL_MS as INTERVAL_MS, durableStateSuite, startCall } from '../support/durable-state-scenarios';

/**
 * Durable state in Chromium: the scenarios shared with Firefox (durable-state-scenarios.ts, the
 * service worker stopped through DevTools), then the badge, read through chrome.action here only.
 * Figures are printed at the end, for docs/reliability.md.
 */
describe('durable state in Chromium', () => {
  const suite = durableStateSuite(() => createChromiumDriver(), 'service worker');

  it('shows the live connection count on the call tab’s badge, and clears it after hang-up', async () => {
    const browser = suite.rig().driver.harness;
    const page = suite.page() as Page;
    await startCall(suite.rig(), page);
    const tabId = await browser.evalInWorker(
      async (tabUrl: string) => (await (globalThis as unknown as WorkerGlobals).chrome.tabs.query({})).find((tab) => tab.url === tabUrl)?.id,
      page.url(),
    );
    if (tabId === undefined) throw new Error(`no tab shows ${page.url()}`);
    const readBadge = () =>
      browser.evalInWorker(async (id: number) => {
        const { chrome } = globalThis as unknown as WorkerGlobals;
        return { text: await chrome.action.getBadgeText({ tabId: id }), title: await chrome.action.getTitle({ tabId: id }) };
      }, tabId);
    const during = await waitFor(async () => {
      const badge = await readBadge();
      return badge.text === '2' ? badge : undefined;
    }, { timeoutMs: 5_000, what: 'badge "2"' });
    expect(during.title).toMatch(/capture on, 2 connections in this tab/);

    await page.evaluate(() => window.hangUp());
    const after = await waitFor(async () => {
      const badge = await readBadge();
      return badge.text === '' ? badge : undefined;
    }, { timeoutMs: 2 * INTERVAL_MS + 3_000, what: 'badge cleared' });
    expect(after.title).not.toMatch(/connection/);
    suite.figures.badge = { during: during.text, afterHangUp: after.text };
  });
});
