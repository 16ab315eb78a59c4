import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { fieldId } from '../../../utils/ui/field-errors';

interface ExtensionGlobals {
  browser: {
    storage: { sync: { get(key: string): Promise<Record<string, unknown>> } };
    permissions: { contains(p: { origins: string[] }): Promise<boolean> };
  };
}

const CUSTOM_ORIGIN = 'https://calls.example.com/*';

/** A button by its whole visible text (puppeteer's text selector would also match "Saved"). */
const button = (text: string) => `::-p-xpath(//button[normalize-space(.)="${text}"])`;

/**
 * The options page in Firefox ESR, driven with real input (BiDi input actions: a click is a user
 * gesture, so `permissions.request()` is allowed; the harness's prefs grant it without a prompt).
 */
describe('options page in Firefox', () => {
  let gateway: Pushgateway;
  let firefox: FirefoxHarness;
  let options: Page;

  async function stored(): Promise<{ gateway?: { url?: string; job?: string }; customOrigins?: string[] }> {
    return firefox.evalInExtension(async () => {
      const { browser } = globalThis as unknown as ExtensionGlobals;
      return ((await browser.storage.sync.get('settings')).settings ?? {}) as Record<string, unknown>;
    });
  }

  async function hasPermission(origin: string): Promise<boolean> {
    return firefox.evalInExtension(async (pattern: string) => {
      const { browser } = globalThis as unknown as ExtensionGlobals;
      return browser.permissions.contains({ origins: [pattern] });
    }, origin);
  }

  async function saveAndWait(): Promise<void> {
    await options.locator(button('Save')).click();
    await waitFor(
      async () => (await options.$eval('[data-test="save-status"]', (node) => node.textContent?.trim())) === 'Saved',
      { timeoutMs: 10_000, what: 'the options page to say Saved' },
    );
  }

  beforeAll(async () => {
    gateway = await startPushgateway();
    firefox = await launchFirefox();
    options = await firefox.findExtensionPage('options.html', 20_000);
  });

  afterAll(async () => {
    await firefox?.close();
    await gateway?.stop();
  });

  it('saves the gateway typed by the user and tests the connection against the real Pushgateway', async () => {
    await options.locator(`#${fieldId('gateway.url')}`).fill(gateway.url);
    await options.locator(`#${fieldId('gateway.job')}`).fill('ff-desk');
    await saveAndWait();
    expect((await stored()).gateway).toMatchObject({ url: gateway.url, job: 'ff-desk' });

    // In the middle of the view: at the bottom edge the sticky save bar would take the click.
    await options.$eval(button('Test connection'), (node) => node.scrollIntoView({ block: 'center' }));
    await options.locator(button('Test connection')).click();
    await waitFor(
      async () =>
        (await options.$eval('[data-test="test-result"]', (node) => node.textContent ?? '')).includes(
          `✓ Connected to 127.0.0.1:${gateway.port}`,
        ),
      { timeoutMs: 15_000, what: 'the connection test to succeed' },
    );
  });

  it('asks for a custom origin’s host permission when it is added, and gives it back when it is removed', async () => {
    expect(await hasPermission(CUSTOM_ORIGIN)).toBe(false);
    await options.locator(`#${fieldId('newCustomOrigin')}`).fill('https://calls.example.com');
    await options.locator(button('Add')).click();
    await waitFor(() => hasPermission(CUSTOM_ORIGIN), { what: 'the custom origin’s permission to be granted' });
    await saveAndWait();
    expect((await stored()).customOrigins).toEqual([CUSTOM_ORIGIN]);

    await options.locator(`::-p-xpath(//button[starts-with(normalize-space(.), "Remove")])`).click();
    await saveAndWait();
    expect((await stored()).customOrigins).toEqual([]);
    await waitFor(async () => !(await hasPermission(CUSTOM_ORIGIN)), { what: 'the permission to be given back' });
  });
});
