import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type ChromiumHarness, type WorkerGlobals } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type Pushgateway } from '../support/pushgateway';
import { freePort, waitFor } from '../support/free-port';
import { configureExtension, connectionGroups, pushTime } from '../support/exporter-control';
import type { SettingsInput } from '../../../utils/settings/settings-schema';
import { TEST_GROUP_LABEL } from '../../../utils/export/connection-test';
import { unlabelledControls, pressTabUntil, type FocusStop } from '../support/ui-audit';

const LOOPBACK = 'http://127.0.0.1/*';

describe('options page and popup in Chromium', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  const opened: Page[] = [];

  const baseSettings = (): SettingsInput => ({
    gateway: { url: gateway.url, job: 'e2e' },
    customOrigins: [LOOPBACK],
    intervalMs: 1_000,
    agentId: 'agent-ui',
  });

  /** What the settings store wrote to storage.sync, read in the service worker. */
  const storedSettings = () =>
    browser.evalInWorker(async () => {
      const { chrome } = globalThis as unknown as WorkerGlobals;
      return (await chrome.storage.sync.get('settings')).settings as Record<string, unknown> & {
        gateway: { url: string; job: string };
        agentId: string;
        intervalMs: number;
      };
    });

  async function openOptions(): Promise<Page> {
    const page = await browser.openOptions();
    opened.push(page);
    await page.getByLabel('Pushgateway URL').waitFor();
    return page;
  }

  async function startCall(): Promise<{ page: Page; url: string }> {
    const page = await browser.context.newPage();
    opened.push(page);
    const url = pages.pageUrl('call');
    await page.goto(url);
    await page.evaluate(() => window.startCall());
    await waitFor(async () => (await connectionGroups(gateway)).length === 2, { timeoutMs: 15_000, what: 'the two groups of the call' });
    return { page, url };
  }

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
    // Fail fast and clearly instead of after Playwright's 30 s default.
    browser.context.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await stopCallRig({ browser, pages, gateway });
  });

  beforeEach(async () => {
    await configureExtension(browser, baseSettings(), LOOPBACK);
    await gateway.wipe();
  });

  afterEach(async () => {
    while (opened.length) await opened.pop()!.close().catch(() => {});
  });

  it('shows an invalid gateway URL at its field and saves nothing, then saves valid settings typed by the user', async () => {
    await configureExtension(browser, { ...baseSettings(), gateway: { url: '', job: 'e2e' } });
    const before = await storedSettings();
    const options = await openOptions();
    const url = options.getByLabel('Pushgateway URL');

    await options.getByLabel('Job name').fill('desk-phones');
    await url.fill('pushgateway:9091');
    const error = options.locator('#f-gateway-url-error');
    await expect.poll(() => error.textContent()).toContain('Enter an http:// or https:// URL');
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    expect(await url.getAttribute('aria-describedby')).toContain('f-gateway-url-error');
    expect(await options.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    // Enter in a field submits the form: the user's other way to try to save.
    await url.press('Enter');
    await expect.poll(() => options.locator('[data-test="save-status"]').textContent()).toMatch(/Fix the marked field/);
    await options.waitForTimeout(500);
    expect(await storedSettings()).toEqual(before);

    await url.fill(gateway.url);
    await expect.poll(() => error.count()).toBe(0);
    await options.getByLabel('Agent id').fill('desk-12');
    await options.getByLabel('Polling interval (seconds)').fill('1.5');
    await options.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => options.locator('[data-test="save-status"]').textContent(), { timeout: 10_000 }).toBe('Saved');

    const after = await storedSettings();
    expect(after.gateway).toMatchObject({ url: gateway.url, job: 'desk-phones' });
    expect(after.agentId).toBe('desk-12');
    expect(after.intervalMs).toBe(1_500);
    // The save asked for the gateway's host permission; the E2E build holds it, so it resolved without a prompt.
    const alreadyGranted = await options.evaluate(() =>
      (globalThis as unknown as WorkerGlobals).chrome.permissions.request({ origins: ['http://127.0.0.1/*'] }),
    );
    expect(alreadyGranted).toBe(true);
  });

  it('tests the connection against the real Pushgateway, and says a closed port could not be reached', async () => {
    const options = await openOptions();
    const result = options.locator('[data-test="test-result"]');
    const testButton = options.getByRole('button', { name: 'Test connection' });

    await testButton.click();
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toContain(`✓ Connected to 127.0.0.1:${gateway.port}`);
    // The test pushed a throw-away group and deleted it again.
    expect((await gateway.groups()).some((labels) => TEST_GROUP_LABEL in labels)).toBe(false);

    const closed = await freePort();
    await options.getByLabel('Pushgateway URL').fill(`http://127.0.0.1:${closed}`);
    await testButton.click();
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toMatch(new RegExp(`✗ Could not reach 127\\.0\\.0\\.1:${closed}\\b`));
    // Testing saves nothing.
    expect((await storedSettings()).gateway.url).toBe(gateway.url);
  });

  it('moves a running call to intervals changed in the options page, without reloading the call', async () => {
    // Push at the poll rate here: a push needs a new snapshot, so the push count shows the hook's poll rate.
    await configureExtension(browser, { ...baseSettings(), intervalMs: 2_000, pushIntervalMs: 2_000 }, LOOPBACK);
    const call = await startCall();
    await call.page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    const WINDOW_MS = 8_000;
    const slow = await countPushes(gateway, WINDOW_MS);

    const options = await openOptions();
    await options.getByLabel('Polling interval (seconds)').fill('0.5');
    await options.getByLabel('Push interval (seconds)').fill('0.5');
    await options.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => options.locator('[data-test="save-status"]').textContent(), { timeout: 10_000 }).toBe('Saved');
    expect(await storedSettings()).toMatchObject({ intervalMs: 500, pushIntervalMs: 500 });
    await options.waitForTimeout(1_500);
    const fast = await countPushes(gateway, WINDOW_MS);

    console.info(`pushes of one connection in ${WINDOW_MS / 1000} s: interval 2 s -> ${slow}, interval 0.5 s -> ${fast}`);
    // 2 s over 8 s is about 4 pushes per connection; 0.5 s is about 16. Wide margins for a busy machine.
    expect(slow).toBeLessThanOrEqual(6);
    expect(fast).toBeGreaterThanOrEqual(10);
    expect(await call.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('shows the call’s connections in the popup for its tab, with charts and non-zero bitrate', async () => {
    const call = await startCall();
    const popup = await browser.openPopup(call.url);
    opened.push(popup);

    await expect.poll(() => popup.locator('[data-test="origin"]').textContent(), { timeout: 10_000 }).toBe(pages.origin);
    await expect.poll(() => popup.getByRole('heading', { name: /Live connections/ }).textContent()).toBe('Live connections (2)');
    const cards = popup.locator('article.connection');
    expect(await cards.count()).toBe(2);

    // One side sends, the other receives: together they must show bits flowing both ways.
    const bitrates = await waitFor(
      async () => {
        // The first chart of a card is its bitrate: "in 499 kbit/s, out 0 bit/s".
        const all = (await Promise.all([0, 1].map((i) => cards.nth(i).locator('.chart-value').first().textContent()))).join(' ');
        const inRate = /in ([\d.]+) (k|M)bit\/s/.exec(all);
        const outRate = /out ([\d.]+) (k|M)bit\/s/.exec(all);
        return inRate && outRate && Number(inRate[1]) > 0 && Number(outRate[1]) > 0 ? all : undefined;
      },
      { timeoutMs: 15_000, what: 'non-zero in and out bitrate in the popup' },
    );
    expect(bitrates).toMatch(/kbit\/s|Mbit\/s/);

    // The charts are drawn: each card's bitrate chart has an "in" and an "out" line of several points.
    const vertices = () =>
      Promise.all(
        [0, 1].flatMap((i) =>
          ['in', 'out'].map(async (series) => {
            const lines = await cards.nth(i).locator(`svg [data-series="${series}"] polyline`).evaluateAll((els) =>
              els.map((el) => el.getAttribute('points')?.trim().split(/\s+/).length ?? 0),
            );
            return Math.max(0, ...lines);
          }),
        ),
      );
    const drawn = await waitFor(async () => {
      const counts = await vertices();
      return counts.every((count) => count >= 3) ? counts : undefined;
    }, { timeoutMs: 10_000, what: 'bitrate lines of 3 points or more in both cards' });
    expect(drawn).toHaveLength(4);
    expect(await popup.getByText('closed (pushing normally)').count()).toBe(1);
  });

  it('can be used with the keyboard: Tab reaches every control of the form with a visible focus ring', async () => {
    const options = await openOptions();
    const controls = await options.evaluate(() => {
      const form = document.querySelector('form')!;
      const enabled = [...form.querySelectorAll<HTMLElement>('input, select, textarea, button')].filter(
        (el) => !(el as HTMLInputElement).disabled && el.offsetParent !== null,
      );
      // Of a radio group only the checked radio is a Tab stop; arrows move inside it.
      return enabled
        .filter((el) => !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked))
        .map((el) => el.id || el.textContent!.trim());
    });
    expect(controls.length).toBeGreaterThan(40);

    const stops: FocusStop[] = await pressTabUntil(options, (stop) => stop.key === 'Save', 200);
    const reached = new Set(stops.map((stop) => stop.key));
    expect(controls.filter((key) => !reached.has(key))).toEqual([]);
    const withoutRing = stops.filter((stop) => !stop.outlineVisible).map((stop) => stop.key);
    expect(withoutRing).toEqual([]);
    // Reading order: the gateway fields come first, in the order they are shown.
    const order = stops.map((stop) => stop.key);
    expect(order.indexOf('f-gateway-url')).toBeLessThan(order.indexOf('f-gateway-job'));
    expect(order.indexOf('f-gateway-job')).toBeLessThan(order.indexOf('f-intervalMs'));
  });

  it('gives every input, select and textarea of the options page and popup a label', async () => {
    const call = await startCall();
    const options = await openOptions();
    await options.getByRole('heading', { name: 'Import / export' }).waitFor();
    const popup = await browser.openPopup(call.url);
    opened.push(popup);
    await popup.locator('#capture-toggle').waitFor();

    for (const page of [options, popup]) {
      const audit = await unlabelledControls(page);
      expect(audit.checked).toBeGreaterThan(page === options ? 40 : 0);
      expect(audit.unlabelled).toEqual([]);
    }
    // The audit itself catches a control without a name.
    await popup.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { id: 'nameless' })));
    expect((await unlabelledControls(popup)).unlabelled).toEqual([expect.stringContaining('id="nameless"')]);
  });
});

/**
 * How many times the gateway received a new push for one connection group during `windowMs`:
 * the distinct `push_time_seconds` seen while polling every 100 ms.
 */
async function countPushes(gateway: Pushgateway, windowMs: number): Promise<number> {
  const groupId = (await connectionGroups(gateway))[0]!.labels.peer_connection_id;
  const seen = new Set<number>();
  const end = Date.now() + windowMs;
  let first: number | undefined;
  while (Date.now() < end) {
    const group = (await connectionGroups(gateway)).find((g) => g.labels.peer_connection_id === groupId);
    if (group) {
      const time = pushTime(group);
      first ??= time;
      seen.add(time);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The push already there when the window opened is not one made during it.
  return seen.size - (first === undefined ? 0 : 1);
}
