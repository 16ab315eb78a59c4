import { afterAll, beforeAll, describe, it } from 'vitest';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { expectCaptureOnEveryPlatformShape, platformHosts, selfSignedCertificate } from '../support/platform-shapes';

interface ExtensionGlobals {
  browser: {
    storage: { sync: { set(items: Record<string, unknown>): Promise<void> } };
    scripting: { getRegisteredContentScripts(): Promise<{ id: string; matches?: string[] }[]> };
  };
}

/**
 * The built-in platforms under their real host names in Firefox ESR. What works here: the
 * `network.dns.localDomains` pref (a comma-separated list of exact host names that Firefox
 * resolves to the loopback address; no wildcards, so each shape's host is listed), and
 * puppeteer's `acceptInsecureCerts` for the page server's self-signed certificate.
 */
describe('capture on the built-in platforms’ host names in Firefox', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let firefox: FirefoxHarness;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer({ tls: selfSignedCertificate() })]);
    firefox = await launchFirefox({
      acceptInsecureCerts: true,
      prefs: { 'network.dns.localDomains': platformHosts().join(',') },
    });
    await firefox.findExtensionPage('options.html', 20_000);
    // No custom origins: only the built-in platforms' registrations can capture these pages.
    await firefox.evalInExtension(
      async (url: string) => {
        const { browser } = globalThis as unknown as ExtensionGlobals;
        await browser.storage.sync.set({
          settings: { version: 1, gateway: { url, job: 'e2e-platforms-firefox' }, intervalMs: 1000 },
          settingsSavedAt: Date.now(),
        });
      },
      gateway.url,
    );
    await waitFor(
      () =>
        firefox.evalInExtension(async () => {
          const { browser } = globalThis as unknown as ExtensionGlobals;
          const scripts = await browser.scripting.getRegisteredContentScripts();
          return scripts.some((script) => script.matches?.includes('https://*.awsapps.com/*'));
        }),
      { timeoutMs: 20_000, what: 'capture scripts registered on the built-in platforms' },
    );
  });

  afterAll(async () => {
    await firefox?.close();
    await pages?.close();
    await gateway?.stop();
  });

  it('captures a call in an about:blank iframe on every platform’s URL shape, Connect’s /connect/ path included', async () => {
    await expectCaptureOnEveryPlatformShape(() => firefox.browser.newPage(), gateway, pages.port);
  }, 300_000);
});
