import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension } from '../support/exporter-control';
import { USER_SETTINGS, expectCallExportedUnderPolicy, policyUnderTest } from '../support/managed-policy-scenario';
import { extensionIdFromKey, writeChromiumPolicy, type PolicyFile } from '../support/managed-policy-file';
import { TEST_BUILD_PUBLIC_KEY } from '../../../utils/build/store-identity';

const EXTENSION_ID = extensionIdFromKey(TEST_BUILD_PUBLIC_KEY);

/**
 * Managed policy through Chromium's own policy machinery: a policy file in
 * /etc/chromium/policies/managed (written as root, removed after, even on failure) sets this
 * extension's `3rdparty` policy, which the extension reads from `storage.managed`.
 */
describe('managed policy in Chromium', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let policy: PolicyFile;

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer()]);
    policy = writeChromiumPolicy({ '3rdparty': { extensions: { [EXTENSION_ID]: policyUnderTest(gateway.url) } } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    policy?.remove();
    await pages?.close();
    await gateway?.stop();
  });

  it('installs the test build under the id its manifest key gives', () => {
    expect(browser.extensionId).toBe(EXTENSION_ID);
  });

  it('shows the policy’s settings as locked in the options page, where they cannot be edited', async () => {
    const options = await browser.openOptions();
    const url = options.getByLabel('Pushgateway URL');
    await waitFor(async () => (await url.inputValue()) === gateway.url, { what: 'the policy URL in the options page' });
    await expect(url.isDisabled()).resolves.toBe(true);
    await expect(options.getByLabel('Agent id').isDisabled()).resolves.toBe(true);
    expect(await options.getByText('Set by your administrator').count()).toBeGreaterThanOrEqual(4);
    await expect(url.fill('https://elsewhere.example.com', { timeout: 1_000 })).rejects.toThrow();
    await options.close();
  });

  it('exports with the policy’s settings even after the user saves other ones', async () => {
    // What the options page would save if the fields were not locked: the policy still wins.
    await configureExtension(browser, USER_SETTINGS);
    const page = await browser.context.newPage();
    await expectCallExportedUnderPolicy(page, pages.pageUrl('call'), gateway);
    await page.close();
  });
});
