import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ChromiumHarness, type WorkerGlobals } from '../support/chromium';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension } from '../support/exporter-control';

const OLD_SECRET = 'e2e-synced-secret';
const NEW_SECRET = 'e2e-typed-secret';

/** Issue 10 item 13 (storage): the gateway password lives in storage.local only, in real Chromium. */
describe('gateway password storage (Chromium)', () => {
  let gateway: Pushgateway;
  let browser: ChromiumHarness;

  /** Everything in storage.sync as JSON, and the secrets record in storage.local. */
  async function stored(): Promise<{ sync: string; localSecret: unknown }> {
    return browser.evalInWorker(async () => {
      const { chrome } = globalThis as unknown as WorkerGlobals;
      return {
        sync: JSON.stringify(await chrome.storage.sync.get(null)),
        localSecret: (await chrome.storage.local.get('settingsSecrets')).settingsSecrets,
      };
    });
  }

  beforeAll(async () => {
    gateway = await startPushgateway();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it('moves a password an earlier version synced to storage.local, and a save from the options page never syncs it', async () => {
    // What an earlier version stored: the password inside the synced settings record.
    await configureExtension(browser, { gateway: { url: gateway.url, job: 'e2e', username: 'agent', password: OLD_SECRET } });
    const migrated = await waitFor(
      async () => {
        const now = await stored();
        return now.sync.includes(OLD_SECRET) ? undefined : now;
      },
      { timeoutMs: 15_000, what: 'the synced password to move to storage.local' },
    );
    expect(migrated.localSecret).toEqual({ gatewayPassword: OLD_SECRET });
    expect(JSON.parse(migrated.sync).settings.gateway).toMatchObject({ url: gateway.url, username: 'agent', password: '' });

    const options = await browser.openOptions();
    const field = options.locator('#f-gateway-password');
    await expect.poll(() => field.inputValue(), { timeout: 10_000 }).toBe(OLD_SECRET);
    await field.fill(NEW_SECRET);
    await options.locator('[data-test="save"]').click();
    await expect.poll(() => options.locator('[data-test="save-status"]').textContent(), { timeout: 10_000 }).toBe('Saved');

    const saved = await stored();
    expect(saved.localSecret).toEqual({ gatewayPassword: NEW_SECRET });
    expect(saved.sync).not.toContain(NEW_SECRET);
    expect(saved.sync).not.toContain(OLD_SECRET);
    await options.close();
  });
});
