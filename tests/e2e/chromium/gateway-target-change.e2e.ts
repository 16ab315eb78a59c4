import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups } from '../support/exporter-control';
import { startFaultProxy } from '../support/fault-proxy';

const INTERVAL_MS = 1_000;
const LOOPBACK = 'http://127.0.0.1/*';
/** How long the slow link to the first gateway holds one group's PUTs, and the other's. */
const SLOW_PUT_MS = 3_000;
const QUICK_PUT_MS = 1_000;

describe('changing the gateway URL or job in Chromium, with two real Pushgateways', () => {
  let first: Pushgateway;
  let second: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let page: Page;

  const settingsFor = (gateway: Pushgateway, job = 'e2e') => ({
    gateway: { url: gateway.url, job },
    customOrigins: [LOOPBACK],
    intervalMs: INTERVAL_MS,
    agentId: 'agent-move',
  });

  /** Connection groups of `job` in `gateway`. */
  async function groupsOf(gateway: Pushgateway, job = 'e2e') {
    return (await connectionGroups(gateway)).filter((group) => group.labels.job === job);
  }

  async function startCallAt(gateway: Pushgateway): Promise<void> {
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    await waitFor(async () => (await groupsOf(gateway)).length === 2, { timeoutMs: 15_000, what: 'two groups at the first gateway' });
  }

  beforeAll(async () => {
    [first, second, pages] = await Promise.all([
      startPushgateway({ adminApi: true }),
      startPushgateway({ adminApi: true }),
      startCallPageServer(),
    ]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await Promise.all([first?.stop(), second?.stop()]);
  });

  beforeEach(async () => {
    await page?.close();
    await configureExtension(browser, settingsFor(first), LOOPBACK);
    await Promise.all([first.wipe(), second.wipe()]);
    page = await browser.context.newPage();
  });

  it('deletes the live groups, the exporter’s own included, at the old gateway and pushes them to the new one when the URL changes', async () => {
    await startCallAt(first);
    const selfGroup = async (gateway: Pushgateway) => (await gateway.groups()).some((labels) => labels.exporter_instance !== undefined);
    // The self group is refreshed at most every 10 s.
    await waitFor(() => selfGroup(first), { timeoutMs: 20_000, what: 'the exporter’s own group at the first gateway' });
    const changedAt = Date.now();
    await configureExtension(browser, settingsFor(second));
    await waitFor(async () => (await groupsOf(first)).length === 0, { timeoutMs: 10_000, what: 'old gateway emptied' });
    await waitFor(async () => !(await selfGroup(first)), { timeoutMs: 10_000, what: 'the exporter’s own group deleted at the old gateway' });
    console.info(`[target] old gateway's groups deleted ${Date.now() - changedAt} ms after the URL change`);
    await waitFor(async () => (await groupsOf(second)).length === 2, { timeoutMs: 10_000, what: 'groups at the new gateway' });
    await page.waitForTimeout(2 * INTERVAL_MS);
    expect(await groupsOf(first)).toEqual([]);
  });

  it('leaves nothing at the old gateway when a PUT still uploading there lands after the URL change', async () => {
    const slowLink = await startFaultProxy(first.url);
    try {
      await configureExtension(browser, { ...settingsFor(first), gateway: { url: slowLink.url, job: 'e2e' }, pushIntervalMs: INTERVAL_MS });
      await startCallAt(first);
      const [slow, quick] = (await groupsOf(first)).map((group) => `/peer_connection_id/${group.labels.peer_connection_id}`);
      // The connection id ends a group's path.
      const isPutOf = (id: string | undefined) => (method: string, path: string) => method === 'PUT' && path.endsWith(id!);
      // One group's PUT takes long, the other's less: while the slow one is on its way, the
      // quick one's worker is free again, and may send a delete meanwhile.
      await slowLink.setMode({ delayMs: (method, path) => (isPutOf(slow)(method, path) ? SLOW_PUT_MS : isPutOf(quick)(method, path) ? QUICK_PUT_MS : 0) });
      const sent = (id: string | undefined) => slowLink.count('PUT', new RegExp(`${id}$`));
      const [slowBefore, quickBefore] = [sent(slow), sent(quick)];
      await waitFor(() => sent(slow) > slowBefore && sent(quick) > quickBefore, { timeoutMs: 10_000, intervalMs: 10, what: 'both groups’ PUTs on their way' });
      await configureExtension(browser, { ...settingsFor(second), pushIntervalMs: INTERVAL_MS });
      await waitFor(async () => (await groupsOf(second)).length === 2, { timeoutMs: 10_000, what: 'groups at the new gateway' });
      // Every PUT on its way at the change has landed by now: none may have recreated a group there.
      await page.waitForTimeout(SLOW_PUT_MS + INTERVAL_MS);
      console.info(`[target] through the slow link: PUTs ${slowLink.count('PUT')}, DELETEs ${slowLink.count('DELETE')}`);
      expect(await groupsOf(first)).toEqual([]);
    } finally {
      await slowLink.close();
    }
  });

  it('deletes the groups under the old job when only the job changes', async () => {
    await startCallAt(first);
    await configureExtension(browser, settingsFor(first, 'e2e-renamed'));
    await waitFor(async () => (await groupsOf(first, 'e2e')).length === 0, { timeoutMs: 10_000, what: 'old job emptied' });
    await waitFor(async () => (await groupsOf(first, 'e2e-renamed')).length === 2, { timeoutMs: 10_000, what: 'groups under the new job' });
  });

  it('keeps the deletes for an unreachable old gateway waiting, pushes to the new one meanwhile, and deletes once it is back', async () => {
    await startCallAt(first);
    await first.stop();
    await configureExtension(browser, settingsFor(second));
    await waitFor(async () => (await groupsOf(second)).length === 2, { timeoutMs: 10_000, what: 'groups at the new gateway while the old is down' });

    // Back with the groups it saved when stopped: the waiting deletes reach it.
    await first.restart({ keepPersistence: true });
    expect((await groupsOf(first)).length).toBe(2);
    await waitFor(async () => (await groupsOf(first)).length === 0, { timeoutMs: 45_000, what: 'old gateway emptied after it came back' });
    expect((await groupsOf(second)).length).toBe(2);
  });
});
