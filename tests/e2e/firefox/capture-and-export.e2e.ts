import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type GatewayGroup, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureFirefoxExtension } from '../support/firefox-control';
import { connectionGroups } from '../support/exporter-control';
import { expectAboutBlankIframeCaptured, expectFirstInlineScriptCaptured } from '../support/capture-scenarios';
import type { ScenarioPage } from '../support/platform-shapes';

const INTERVAL_MS = 1_000;
/** The default push interval: windows are pushed at it, apart from polling. */
const PUSH_INTERVAL_MS = 10_000;
const LOOPBACK = 'http://127.0.0.1/*';

describe('capture and export in Firefox', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let firefox: FirefoxHarness;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer()]);
    firefox = await launchFirefox();
    // The options page opens by itself on first install; it is where the user (here: the test) configures.
    await firefox.findExtensionPage('options.html', 20_000);
    await configureFirefoxExtension(
      firefox,
      { gateway: { url: gateway.url, job: 'e2e-firefox' }, customOrigins: [LOOPBACK], intervalMs: 1000 },
      LOOPBACK,
    );
  });

  afterAll(async () => {
    await firefox?.close();
    await pages?.close();
    await gateway?.stop();
  });

  it('pushes a loopback call’s metrics to the Pushgateway and deletes them after hang-up', async () => {
    const page = await firefox.browser.newPage();
    await page.goto(pages.pageUrl('call', { id: 'meeting-9', secret: 'ff-secret' }));
    await page.evaluate(() => window.startCall());

    // The quality profile (default): each connection's window at the push interval (default 10 s).
    const bitrate = (direction: string) => (group: GatewayGroup) =>
      (group.families.webrtc_bitrate_bytes_per_second?.metrics ?? []).some((metric) => metric.labels.direction === direction);
    const groups = await waitFor(
      async () => {
        const found = await connectionGroups(gateway);
        return found.length === 2 && found.some(bitrate('inbound')) && found.some(bitrate('outbound')) ? found : undefined;
      },
      { timeoutMs: PUSH_INTERVAL_MS + 3 * INTERVAL_MS + 10_000, what: 'caller and callee groups from Firefox' },
    );
    const sample = groups
      .flatMap((group) => group.families.webrtc_bitrate_bytes_per_second?.metrics ?? [])
      .find((metric) => metric.labels.kind === 'audio' && metric.labels.direction === 'inbound');
    expect(sample?.labels).toMatchObject({ job: 'e2e-firefox', platform: 'custom', origin: pages.origin });
    expect(Number(sample?.value)).toBeGreaterThan(0);
    expect(await gateway.text()).not.toContain('ff-secret');

    await page.evaluate(() => window.hangUp());
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, {
      timeoutMs: 2 * INTERVAL_MS + 5_000,
      what: 'groups deleted after hang-up',
    });
    await page.close();
  });

  it.each([
    ['a connection made by the page’s very first inline script', 'early', expectFirstInlineScriptCaptured],
    ['a connection made inside a pristine about:blank iframe', 'iframe', expectAboutBlankIframeCaptured],
  ] as const)('captures %s', async (_what, name, scenario) => {
    const page = await firefox.browser.newPage();
    await scenario(page as ScenarioPage, pages.pageUrl(name), gateway);
    // Closing the page ends its connections: their groups are deleted before the next test.
    await page.close();
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, { timeoutMs: 10_000, what: 'groups deleted on unload' });
  });
});
