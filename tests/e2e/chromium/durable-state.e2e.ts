import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
import { type ChromiumHarness, type WorkerGlobals } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type GatewayGroup, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups, extensionHealth, pushTime } from '../support/exporter-control';
import type { Health } from '../../../utils/messaging/health';

const INTERVAL_MS = 1_000;
const STALE_MS = 5_000;
const LOOPBACK = 'http://127.0.0.1/*';
const TRACKER_KEY = 'connectionTracker';

const groupIdOf = (group: GatewayGroup) => group.labels.peer_connection_id ?? group.labels.peerConnectionId ?? '';

/** Figures printed at the end, for docs/reliability.md. */
const figures: Record<string, unknown> = {};

describe('durable state in Chromium', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let page: Page;
  let workerStarts = 0;
  let workerControl: { session: CDPSession; status: string; stops: number; startTimes: number[] };
  const garbageAttempts: number[] = [];

  const baseSettings = () => ({
    gateway: { url: gateway.url, job: 'e2e' },
    customOrigins: [LOOPBACK],
    intervalMs: INTERVAL_MS,
    reliability: { staleConnectionMs: STALE_MS },
  });

  /** The id of the tab showing the call page, as the extension sees it. */
  async function callTabId(): Promise<number> {
    const url = page.url();
    const id = await browser.evalInWorker(
      async (tabUrl: string) => (await (globalThis as unknown as WorkerGlobals).chrome.tabs.query({})).find((tab) => tab.url === tabUrl)?.id,
      url,
    );
    if (id === undefined) throw new Error(`no tab shows ${url}`);
    return id;
  }

  async function startTwoPcCall(): Promise<GatewayGroup[]> {
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    return waitFor(
      async () => {
        const found = await connectionGroups(gateway);
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: 15_000, what: 'the two groups of the call' },
    );
  }

  /**
   * A page of the extension that asks the background nothing (the options page polls health,
   * which would wake a stopped worker): the manifest shown as text still has `chrome.storage`.
   */
  async function quietExtensionPage(): Promise<Page> {
    const quiet = await browser.context.newPage();
    await quiet.goto(browser.extensionUrl('manifest.json'));
    return quiet;
  }

  /** Waits until the tracker has saved `count` entries (it saves a new connection after 500 ms). */
  async function trackerSaved(count: number): Promise<unknown[]> {
    return waitFor(
      () =>
        browser.evalInWorker(
          async ({ key, count: wanted }: { key: string; count: number }) => {
            const { chrome } = globalThis as unknown as WorkerGlobals;
            for (const area of [chrome.storage.local, chrome.storage.session]) {
              const stored = (await area.get(key))[key] as { entries?: unknown[] } | undefined;
              if (stored?.entries?.length === wanted) return stored.entries;
            }
            return undefined;
          },
          { key: TRACKER_KEY, count },
        ),
      { timeoutMs: 5_000, what: `the tracker to save ${count} entries` },
    );
  }

  async function closeExtensionPages(): Promise<void> {
    for (const open of browser.context.pages()) if (open.url().startsWith('chrome-extension://')) await open.close();
  }

  /**
   * Stops the worker; resolves when the stop is seen (as an event: the harness's stop polls the
   * status and can miss a stop that lasts less than its poll interval). Measured here: after a
   * stop, Chromium often starts the worker again 60-450 ms later with no extension event at all,
   * so callers check `startedSince` before relying on the worker being stopped.
   */
  async function stopWorker(): Promise<number> {
    const before = workerControl.stops;
    await workerControl.session.send('ServiceWorker.stopAllWorkers');
    await waitFor(() => workerControl.stops > before, { timeoutMs: 10_000, what: 'the service worker to stop' });
    return Date.now();
  }

  /** Whether the worker started (or was starting) at any time since `at`. */
  function startedSince(at: number): boolean {
    return workerControl.status !== 'stopped' || workerControl.startTimes.some((time) => time >= at);
  }

  async function restartWorker(): Promise<void> {
    if (workerControl.status !== 'running') {
      await workerControl.session.send('ServiceWorker.startWorker', { scopeURL: browser.extensionUrl('') });
      await waitFor(() => workerControl.status === 'running', { timeoutMs: 10_000, what: 'the service worker to run' });
    }
    workerStarts++;
  }

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
    workerStarts = 1;
    // Worker stop/start with every status change seen as an event (a blank page carries the session).
    const session = await browser.context.newCDPSession(await browser.context.newPage());
    const scriptUrl = browser.serviceWorker.url();
    workerControl = { session, status: 'running', stops: 0, startTimes: [] };
    session.on('ServiceWorker.workerVersionUpdated', (event) => {
      for (const version of event.versions) {
        if (version.scriptURL !== scriptUrl) continue;
        if (version.runningStatus === 'stopped' && workerControl.status !== 'stopped') workerControl.stops++;
        if (version.runningStatus === 'starting' && workerControl.status === 'stopped') {
          workerControl.startTimes = [...workerControl.startTimes.slice(-20), Date.now()];
        }
        workerControl.status = version.runningStatus;
      }
    });
    await session.send('ServiceWorker.enable');
    await configureExtension(browser, baseSettings(), LOOPBACK);
  });

  afterAll(async () => {
    console.log(`[durable-state e2e] ${JSON.stringify(figures)}`);
    await stopCallRig({ browser, pages, gateway });
  });

  beforeEach(async () => {
    if (page && !page.isClosed()) await page.close();
    await configureExtension(browser, baseSettings(), LOOPBACK);
    await gateway.wipe();
    page = await browser.context.newPage();
  });

  it('shows the live connection count on the call tab’s badge, and clears it after hang-up', async () => {
    await startTwoPcCall();
    const tabId = await callTabId();
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
    figures.badge = { during: during.text, afterHangUp: after.text };
  });

  it('deletes the groups of a tab closed mid-call without hang-up, within the stale limit', async () => {
    await startTwoPcCall();
    await page.close();
    const closedAt = Date.now();
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, {
      timeoutMs: STALE_MS,
      what: 'groups of the closed tab deleted',
    });
    figures.closedTabMs = Date.now() - closedAt;
    expect((await extensionHealth(browser)).connections.total).toBe(0);
  });

  it('deletes the groups of a tab that closed while the worker was stopped, once the worker runs again', async () => {
    const groups = await startTwoPcCall();
    await trackerSaved(2);
    await closeExtensionPages();
    // A frozen page sends nothing more (no reports that would wake the worker, no pagehide "ended"):
    // only the integrity check can find out that its tab is gone.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    const stoppedAt = await stopWorker();
    // Whether the worker stayed stopped until the tab closed (else it heard onRemoved itself).
    const missedOnRemoved = !startedSince(stoppedAt);
    await page.close();
    await restartWorker();
    const startedAt = Date.now();
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, {
      timeoutMs: STALE_MS,
      what: 'groups of the tab closed while the worker was stopped deleted',
    });
    figures.closedWhileStoppedMs = Date.now() - startedAt;
    const health = await extensionHealth(browser);
    figures.closedWhileStopped = { missedOnRemoved, repaired: health.integrity.repaired };
    // The start-up integrity check found the closed tab, or the restarted worker heard onRemoved.
    expect(health.integrity.repaired['closed-tab']).toBe(missedOnRemoved ? groups.length : 0);
    expect(health.connections.total).toBe(0);
  });

  it('recovers from garbage in storage across a worker restart, reports the repairs, and keeps the call exporting', async () => {
    const groups = await startTwoPcCall();
    const liveIds = groups.map(groupIdOf).sort();
    const saved = await trackerSaved(2);
    // Groups a previous run left behind, which only the garbage in the tracker still names.
    const orphanBody = '# TYPE e2e_orphan gauge\ne2e_orphan 1\n';
    for (const orphan of ['orphanclosed', 'orphantrunc1']) {
      expect((await gateway.push(`job/e2e/peer_connection_id/${orphan}`, orphanBody, 'PUT')).ok).toBe(true);
    }

    // Stop everything that could wake the worker or overwrite the garbage: the page's reports and the options page's polling.
    await closeExtensionPages();
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    const quiet = await quietExtensionPage();
    const garbage = {
      sync: {
        settings: {
          version: 99,
          gateway: { url: gateway.url, job: 'e2e', gzip: 'yes' },
          customOrigins: [LOOPBACK],
          intervalMs: 'fast',
          platforms: 'all',
          reliability: { staleConnectionMs: -5, queueMaxSize: { nested: true } },
        },
        settingsSavedAt: Date.now(),
      },
      tracker: {
        version: 1,
        entries: [
          ...saved,
          { groupId: 'orphantrunc1', tabId: 5 },
          { ...(saved[0] as object), groupId: 'wrongtypes01', tabId: 'seven', pcId: 'other' },
          { ...(saved[0] as object), groupId: 'orphanclosed', tabId: 987_654_321, pcId: 'gone' },
          42,
          'junk',
        ],
      },
      session: {
        'exporter.outbox': { format: 1, entries: [{ groupId: 'x', kind: 'push' }, 'garbage', { groupId: 'y', kind: 'explode', groupingKey: {}, body: '', updatedAt: 1 }] },
        'exporter.delivery': { pushesOk: 'lots' },
        'exporter.networkBreaker': { format: 9, policy: null },
      },
    };
    // The garbage is written while the worker is stopped, so that the next start reads it.
    for (let attempt = 1; ; attempt++) {
      const stoppedAt = await stopWorker();
      if (!startedSince(stoppedAt)) {
        garbageAttempts.push(attempt);
        break;
      }
      if (attempt === 5) throw new Error('the service worker does not stay stopped');
    }
    await quiet.evaluate(
      async ({ data, trackerKey }) => {
        const { chrome } = globalThis as unknown as WorkerGlobals;
        const hasTracker = async (area: typeof chrome.storage.local) => trackerKey in (await area.get(trackerKey));
        const [inLocal, inSession] = await Promise.all([hasTracker(chrome.storage.local), hasTracker(chrome.storage.session)]);
        // Every write is issued before the first one settles, so a worker woken by them reads all of them.
        await Promise.all([
          chrome.storage.session.set({ ...data.session, ...(inSession ? { [trackerKey]: data.tracker } : {}) }),
          inLocal ? chrome.storage.local.set({ [trackerKey]: data.tracker }) : undefined,
          chrome.storage.sync.set(data.sync),
        ]);
      },
      { data: garbage, trackerKey: TRACKER_KEY },
    );
    await quiet.close();
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await restartWorker();
    const restartedAt = Date.now() / 1000;

    const health = await waitFor(
      async () => {
        const current = await extensionHealth(browser);
        return current.status !== 'starting' && current.integrity.lastRunAt !== null ? current : undefined;
      },
      { timeoutMs: 15_000, what: 'health after the restart' },
    );
    figures.garbageRepair = { status: health.status, repaired: health.integrity.repaired, invalidSettingsFields: health.integrity.invalidSettingsFields };
    expect(health.status).toBe('running');
    expect(health.integrity.repaired).toMatchObject({ 'invalid-entry': 4, 'closed-tab': 1, 'outbox-entry': 3, 'delivery-stats': 1 });
    expect(health.integrity.invalidSettingsFields).toEqual(
      expect.arrayContaining(['version', 'gateway.gzip', 'intervalMs', 'reliability.staleConnectionMs', 'reliability.queueMaxSize']),
    );
    expect(health.connections.total).toBe(2);

    // The call goes on in the same groups, pushed again after the restart; the orphans are gone.
    const after = await waitFor(
      async () => {
        const found = await connectionGroups(gateway);
        const ids = found.map(groupIdOf).sort();
        const fresh = found.every((group) => pushTime(group) > restartedAt);
        return JSON.stringify(ids) === JSON.stringify(liveIds) && fresh ? found : undefined;
      },
      // A restarted worker pushes the groups it knew at its first push tick (default push interval 10 s,
      // counted from the end of its start-up, which takes seconds on a loaded machine).
      { timeoutMs: 20_000, what: 'the call’s groups pushed after the restart, and only them' },
    );
    figures.pushAfterRestartS = Math.max(...after.map((group) => pushTime(group) - restartedAt));
    const settled: Health = await extensionHealth(browser);
    expect(settled.delivery.breaker).toBe('closed');
    figures.workerStarts = workerStarts;
    figures.garbageAttempts = garbageAttempts;
  });
});
