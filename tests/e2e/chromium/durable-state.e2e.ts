import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { WorkerGlobals } from '../support/chromium';
import { createChromiumDriver, type ChromiumDriver } from '../support/chromium-driver';
import { startDriverRig, stopCallRig, type DriverRig } from '../support/call-rig';
import { waitFor } from '../support/free-port';
import type { ScenarioPage } from '../support/platform-shapes';
import {
  DURABLE_INTERVAL_MS as INTERVAL_MS,
  closedTabScenario,
  closedWhileStoppedScenario,
  garbageRepairScenario,
  prepareDurableTest,
  startCall,
  type Figures,
} from '../support/durable-state-scenarios';

/** Figures printed at the end, for docs/reliability.md. */
const figures: Figures = {};

/**
 * Durable state in Chromium: the badge (Chromium-only here), then the scenarios shared with
 * Firefox (durable-state-scenarios.ts), the service worker stopped through DevTools.
 */
describe('durable state in Chromium', () => {
  let rig: DriverRig<ChromiumDriver>;
  let page: ScenarioPage | undefined;

  beforeAll(async () => {
    rig = await startDriverRig(() => createChromiumDriver());
  });

  afterAll(async () => {
    console.log(`[durable-state e2e Chromium] ${JSON.stringify(figures)}`);
    await stopCallRig(rig ?? {});
  });

  beforeEach(async () => {
    page = await prepareDurableTest(rig, page);
  });

  it('shows the live connection count on the call tab’s badge, and clears it after hang-up', async () => {
    const browser = rig.driver.harness;
    await startCall(rig, page!);
    const url = (page as Page).url();
    const tabId = await browser.evalInWorker(
      async (tabUrl: string) => (await (globalThis as unknown as WorkerGlobals).chrome.tabs.query({})).find((tab) => tab.url === tabUrl)?.id,
      url,
    );
    if (tabId === undefined) throw new Error(`no tab shows ${url}`);
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

    await page!.evaluate(() => window.hangUp());
    const after = await waitFor(async () => {
      const badge = await readBadge();
      return badge.text === '' ? badge : undefined;
    }, { timeoutMs: 2 * INTERVAL_MS + 3_000, what: 'badge cleared' });
    expect(after.title).not.toMatch(/connection/);
    figures.badge = { during: during.text, afterHangUp: after.text };
  });

  it('deletes the groups of a tab closed mid-call without hang-up, within the stale limit', async () => {
    await closedTabScenario(rig, page!, figures);
  });

  it('deletes the groups of a tab that closed while the worker was stopped, once the worker runs again', async () => {
    await closedWhileStoppedScenario(rig, page!, figures);
  });

  it('recovers from garbage in storage across a worker restart, reports the repairs, and keeps the call exporting', async () => {
    await garbageRepairScenario(rig, page!, figures);
  });
});
