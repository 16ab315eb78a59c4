import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ChromiumHarness, type WorkerGlobals } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups } from '../support/exporter-control';
import { groupIdOf, healthWhere, startTwoPcCall } from '../support/delivery-faults';
import { OUTBOX_DELETES_STORAGE_KEY, OUTBOX_STORAGE_KEY } from '../../../utils/export/outbox';
import { TRACKER_STORAGE_KEY } from '../../../utils/integrity/connection-tracker';

const LOOPBACK = 'http://127.0.0.1/*';

/**
 * Issue 10 item 9: a browser closed during a gateway outage, after the call ended, deletes the
 * call's groups once it is started again with the same profile and the gateway is back. Before
 * the fix the deletes lived in storage.session, which the browser clears when it closes.
 */
describe('pending deletes across a browser restart (Chromium, persistent profile)', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness | undefined;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-durable-deletes-'));

  /** What the worker's storage holds of the outbox: entry kinds and group ids per area. */
  async function storedOutbox(harness: ChromiumHarness): Promise<{ local: string[]; session: string[] }> {
    return harness.evalInWorker(
      async (keys: string[]) => {
        const { chrome } = globalThis as unknown as WorkerGlobals;
        const list = (stored: Record<string, unknown>) =>
          keys.flatMap((key) =>
            ((stored[key] as { entries?: { kind: string; groupId: string }[] } | undefined)?.entries ?? []).map(
              (entry) => `${entry.kind}:${entry.groupId}`,
            ),
          );
        return { local: list(await chrome.storage.local.get(keys)), session: list(await chrome.storage.session.get(keys)) };
      },
      [OUTBOX_STORAGE_KEY, OUTBOX_DELETES_STORAGE_KEY],
    );
  }

  /** Group ids the connection tracker has saved (storage.local first, as the tracker's area). */
  async function trackedGroups(harness: ChromiumHarness): Promise<string[]> {
    return harness.evalInWorker(async (key: string) => {
      const { chrome } = globalThis as unknown as WorkerGlobals;
      const ids: string[] = [];
      for (const area of [chrome.storage.local, chrome.storage.session]) {
        const stored = (await area.get(key))[key] as { entries?: { groupId?: string }[] } | undefined;
        for (const entry of stored?.entries ?? []) if (entry.groupId) ids.push(entry.groupId);
      }
      return ids;
    }, TRACKER_STORAGE_KEY);
  }

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway(), startCallPageServer()]);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gateway?.stop(), pages?.close()]);
    fs.rmSync(profile, { recursive: true, force: true });
  });

  it('deletes every group the browser owned once the gateway is back after the restart', async () => {
    browser = await launchChromium({ userDataDir: profile });
    await configureExtension(
      browser,
      {
        gateway: { url: gateway.url, job: 'e2e' },
        customOrigins: [LOOPBACK],
        intervalMs: 1_000,
        // The delivery-fault helpers tell caller from callee by the full profile's raw byte counters.
        exportProfile: 'full',
        // Short probe delays so that the test does not wait 30 s for the breaker's next trial.
        reliability: { halfOpenInitialDelayMs: 500, halfOpenMaxDelayMs: 2_000 },
      },
      LOOPBACK,
    );
    const page = await browser.context.newPage();
    const call = await startTwoPcCall(page, pages.pageUrl('call'), gateway);
    const owned = [call.callerId, call.calleeId].sort();

    // Gateway down (a clean stop writes its persistence file: the groups come back with it).
    await gateway.stop();
    await page.evaluate(() => window.hangUp());
    // Wait until the deletes are written (to whichever area): what a browser quit leaves behind.
    const written = await waitFor(
      async () => {
        const stored = await storedOutbox(browser!);
        const deletes = [...stored.local, ...stored.session].filter((entry) => entry.startsWith('delete:'));
        return deletes.length === 2 ? deletes : undefined;
      },
      { timeoutMs: 15_000, what: 'both deletes written to extension storage' },
    );
    expect(written.sort()).toEqual(owned.map((id) => `delete:${id}`));
    // And until the tracker has saved that the connections ended (as it has when a user quits
    // the browser some time after a call): after the restart only the outbox knows the groups.
    await waitFor(
      async () => ((await trackedGroups(browser!)).some((id) => owned.includes(id)) ? undefined : true),
      { timeoutMs: 15_000, what: 'the tracker to save the ended connections' },
    );
    await page.close();
    await browser.close();
    browser = undefined;

    // The groups are still in the gateway's saved state: check with the browser closed.
    await gateway.restart({ keepPersistence: true });
    expect((await connectionGroups(gateway)).map(groupIdOf).sort()).toEqual(owned);
    await gateway.stop();

    // Same profile, gateway still down: the deletes come back from storage.local, session is empty.
    browser = await launchChromium({ userDataDir: profile });
    const restored = await healthWhere(browser, (health) => health.delivery.pendingDeletes === 2, 'two pending deletes after the restart');
    expect(restored.delivery.pendingDeletes).toBe(2);
    expect((await storedOutbox(browser)).session.filter((entry) => entry.startsWith('delete:'))).toEqual([]);

    const backAt = Date.now();
    await gateway.restart({ keepPersistence: true });
    await waitFor(async () => ((await connectionGroups(gateway)).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the call groups to be deleted after the gateway came back',
    });
    const deletedAfterMs = Date.now() - backAt;
    await healthWhere(browser, (health) => health.delivery.pendingDeletes === 0, 'no pending deletes left');
    console.log(`[durable-deletes] groups deleted ${deletedAfterMs} ms after the gateway came back (after a browser restart)`);
  });
});
