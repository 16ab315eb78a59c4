import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureFirefoxExtension } from '../support/firefox-control';
import { firefoxInstallWithPolicies, type FirefoxPolicyInstall } from '../support/firefox-policy-install';
import { USER_SETTINGS, expectCallExportedUnderPolicy, policyUnderTest } from '../support/managed-policy-scenario';
import { fieldId } from '../../../utils/ui/field-errors';
import { GECKO_ID } from '../../../utils/build/store-identity';

/**
 * Managed policy through Firefox's own policy engine: `policies.json` → `3rdparty` → `Extensions`
 * → the gecko id, in the distribution folder of a temp install (see firefox-policy-install.ts).
 */
describe('managed policy in Firefox', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let install: FirefoxPolicyInstall;
  let firefox: FirefoxHarness;
  let options: Page;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer()]);
    install = firefoxInstallWithPolicies({ '3rdparty': { Extensions: { [GECKO_ID]: policyUnderTest(gateway.url) } } });
    firefox = await launchFirefox({ executablePath: install.executable });
    options = await firefox.findExtensionPage('options.html', 20_000);
  });

  afterAll(async () => {
    await firefox?.close();
    install?.remove();
    await pages?.close();
    await gateway?.stop();
  });

  it('shows the policy’s settings as locked in the options page, where they cannot be edited', async () => {
    const url = `#${fieldId('gateway.url')}`;
    await waitFor(async () => (await options.$eval(url, (input) => (input as HTMLInputElement).value)) === gateway.url, {
      what: 'the policy URL in the options page',
    });
    const disabled = await options.$$eval('input', (inputs) =>
      Object.fromEntries(inputs.map((input) => [input.id, input.disabled])),
    );
    expect(disabled[fieldId('gateway.url')]).toBe(true);
    expect(disabled[fieldId('agentId')]).toBe(true);
    const notes = await options.$$eval('.locked-note', (items) => items.map((item) => item.textContent));
    expect(notes.length).toBeGreaterThanOrEqual(4);
  });

  it('exports with the policy’s settings even after the user saves other ones', async () => {
    await configureFirefoxExtension(firefox, USER_SETTINGS);
    const page = await firefox.browser.newPage();
    await expectCallExportedUnderPolicy(page, pages.pageUrl('call'), gateway);
    await page.close();
  });
});
