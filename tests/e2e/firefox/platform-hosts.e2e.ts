import { afterAll, beforeAll, describe, it } from 'vitest';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { configureFirefoxExtension } from '../support/firefox-control';
import { expectCaptureOnEveryPlatformShape, platformHosts, selfSignedCertificate } from '../support/platform-shapes';

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
    await configureFirefoxExtension(firefox, { gateway: { url: gateway.url, job: 'e2e-platforms-firefox' }, intervalMs: 1000 }, 'https://*.awsapps.com/*');
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
