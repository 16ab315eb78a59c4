import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIREFOX_BUILD_DIR, launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type GatewayGroup, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { connectionGroups } from '../support/exporter-control';

const INTERVAL_MS = 1_000;
/** The default push interval: windows are pushed at it, apart from polling. */
const PUSH_INTERVAL_MS = 10_000;
const LOOPBACK = 'http://127.0.0.1/*';
const run = promisify(execFile);

interface ExtensionGlobals {
  browser: {
    storage: { sync: { set(items: Record<string, unknown>): Promise<void> } };
    scripting: { getRegisteredContentScripts(): Promise<{ id: string; matches?: string[] }[]> };
  };
}

describe('capture and export in Firefox', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let firefox: FirefoxHarness;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer()]);
    firefox = await launchFirefox();
    // The options page opens by itself on first install; it is where the user (here: the test) configures.
    await firefox.findExtensionPage('options.html', 20_000);
    await firefox.evalInExtension(
      async (url: string) => {
        const { browser } = globalThis as unknown as ExtensionGlobals;
        await browser.storage.sync.set({
          settings: { version: 1, gateway: { url, job: 'e2e-firefox' }, customOrigins: ['http://127.0.0.1/*'], intervalMs: 1000 },
          settingsSavedAt: Date.now(),
        });
      },
      gateway.url,
    );
    await waitFor(
      () =>
        firefox.evalInExtension(async (match: string) => {
          const { browser } = globalThis as unknown as ExtensionGlobals;
          return (await browser.scripting.getRegisteredContentScripts()).some((script) => script.matches?.includes(match));
        }, LOOPBACK),
      { timeoutMs: 20_000, what: 'capture scripts registered on loopback' },
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
      (group.families.webrtc_bitrate_bits_per_second?.metrics ?? []).some((metric) => metric.labels.direction === direction);
    const groups = await waitFor(
      async () => {
        const found = await connectionGroups(gateway);
        return found.length === 2 && found.some(bitrate('inbound')) && found.some(bitrate('outbound')) ? found : undefined;
      },
      { timeoutMs: PUSH_INTERVAL_MS + 3 * INTERVAL_MS + 10_000, what: 'caller and callee groups from Firefox' },
    );
    const sample = groups
      .flatMap((group) => group.families.webrtc_bitrate_bits_per_second?.metrics ?? [])
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

  it('passes web-ext lint with no errors', async () => {
    const { stdout } = await run(
      'npx',
      ['web-ext', 'lint', '--source-dir', FIREFOX_BUILD_DIR, '--output', 'json', '--no-input'],
      { maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      count: number;
      errors: { code: string; message: string; file?: string }[];
    };
    expect(report.errors.map((error) => `${error.code}: ${error.message} (${error.file ?? ''})`)).toEqual([]);
  });
});
