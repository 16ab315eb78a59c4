import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { configureExtension } from '../support/exporter-control';
import {
  builtinPatternsWithoutShape,
  expectCaptureOnEveryPlatformShape,
  platformHosts,
  selfSignedCertificate,
} from '../support/platform-shapes';

/**
 * The built-in platforms under their real host names. Chromium resolves them to the local HTTPS
 * page server through `--host-resolver-rules` and accepts its self-signed certificate
 * (`--ignore-certificate-errors`); match patterns ignore the port (RECIPES.md).
 */
describe('capture on the built-in platforms’ host names in Chromium', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer({ tls: selfSignedCertificate() })]);
    const rules = platformHosts().map((host) => `MAP ${host} 127.0.0.1`).join(', ');
    browser = await launchChromium({ args: [`--host-resolver-rules=${rules}`, '--ignore-certificate-errors'] });
    // No custom origins: only the built-in platforms' registrations can capture these pages.
    await configureExtension(
      browser,
      { gateway: { url: gateway.url, job: 'e2e-platforms' }, intervalMs: 1_000 },
      'https://*.awsapps.com/*',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await gateway?.stop();
  });

  it('has a URL shape for every built-in match pattern', () => {
    expect(builtinPatternsWithoutShape()).toEqual([]);
  });

  it('captures a call in an about:blank iframe on every platform’s URL shape, Connect’s /connect/ path included', async () => {
    await expectCaptureOnEveryPlatformShape(() => browser.context.newPage(), gateway, pages.port);
  }, 300_000);
});
