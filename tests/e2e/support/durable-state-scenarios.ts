import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startDriverRig, stopCallRig, type DriverRig } from './call-rig';
import { twoGroups } from './capture-scenarios';
import { connectionGroups, pushTime } from './exporter-control';
import { groupIdOf, healthWhere, startTwoPcCall } from './delivery-faults';
import { waitFor } from './free-port';
import type { ScenarioPage } from './platform-shapes';
import type { GatewayGroup } from './pushgateway';
import type { BrowserDriver, StorageArea } from './browser-driver';
import type { Health } from '../../../utils/messaging/health';
import { OUTBOX_DELETES_STORAGE_KEY, OUTBOX_STORAGE_KEY } from '../../../utils/export/outbox';
import { TRACKER_STORAGE_KEY } from '../../../utils/integrity/connection-tracker';

/**
 * The durable-state scenarios that run in Chromium and in Firefox from one body each (the browser
 * behind a BrowserDriver): garbage in storage across a background restart, a tab closed mid-call
 * (with the background running, and while it is stopped), pending deletes across a browser restart.
 */

export const DURABLE_INTERVAL_MS = 1_000;
export const STALE_MS = 5_000;
const LOOPBACK = 'http://127.0.0.1/*';

/** Settings of the durable-state tests: the loopback page captured, a short stale limit. */
export function durableSettings(gatewayUrl: string) {
  return {
    gateway: { url: gatewayUrl, job: 'e2e' },
    customOrigins: [LOOPBACK],
    intervalMs: DURABLE_INTERVAL_MS,
    reliability: { staleConnectionMs: STALE_MS },
  };
}

/** Before each test: these settings, an empty gateway and a new page for the call (the previous one closed). */
export async function prepareDurableTest(rig: DriverRig, previous: ScenarioPage | undefined): Promise<ScenarioPage> {
  await previous?.close().catch(() => {});
  await rig.driver.configure(durableSettings(rig.gateway.url), LOOPBACK);
  await rig.gateway.wipe();
  return rig.driver.newPage();
}

/** Opens the call page, starts a two-PC call and waits for its two groups. */
export async function startCall(rig: DriverRig, page: ScenarioPage): Promise<GatewayGroup[]> {
  await page.goto(rig.pages.pageUrl('call'));
  await page.evaluate(() => window.startCall());
  return twoGroups(rig.gateway, 'the two groups of the call', 15_000);
}

/** The tracker's saved entries, from whichever area holds them (storage.local first, its own). */
async function trackerEntries(rig: DriverRig): Promise<{ area: StorageArea; entries: unknown[] }[]> {
  const stored = await rig.driver.readStorage([TRACKER_STORAGE_KEY]);
  return (['local', 'session'] as const).flatMap((area) => {
    const value = stored[area][TRACKER_STORAGE_KEY] as { entries?: unknown[] } | undefined;
    return value?.entries ? [{ area, entries: value.entries }] : [];
  });
}

/** Waits until the tracker has saved `count` entries (it saves a new connection after 500 ms). */
async function trackerSaved(rig: DriverRig, count: number): Promise<unknown[]> {
  return waitFor(async () => (await trackerEntries(rig)).find((found) => found.entries.length === count)?.entries, {
    timeoutMs: 5_000,
    what: `the tracker to save ${count} entries`,
  });
}

/** Figures a scenario measured, for the file's closing log line. */
export type Figures = Record<string, unknown>;

/** A tab closed mid-call without hang-up: its groups are deleted within the stale limit. */
export async function closedTabScenario(rig: DriverRig, page: ScenarioPage, figures: Figures): Promise<void> {
  await startCall(rig, page);
  await page.close();
  const closedAt = Date.now();
  await waitFor(async () => (await connectionGroups(rig.gateway)).length === 0, {
    timeoutMs: STALE_MS,
    what: 'groups of the closed tab deleted',
  });
  figures.closedTabMs = Date.now() - closedAt;
  expect((await rig.driver.health()).connections.total).toBe(0);
}

/**
 * A tab closed while the background is stopped: once it runs again, the start-up integrity check
 * finds the closed tab (or, if the close woke it, it heard tabs.onRemoved itself), and the
 * groups are deleted within the stale limit.
 */
export async function closedWhileStoppedScenario(rig: DriverRig, page: ScenarioPage, figures: Figures): Promise<void> {
  const groups = await startCall(rig, page);
  await trackerSaved(rig, 2);
  // No reports that would wake the background, no pagehide "ended" (where the browser can hold them).
  await rig.driver.holdReports(page);
  // Whether the background stayed stopped until the tab closed (else it may have heard onRemoved itself).
  let missedOnRemoved = false;
  for (let attempt = 1; attempt <= 5 && !missedOnRemoved; attempt++) {
    missedOnRemoved = await (await rig.driver.stopBackground())();
  }
  await page.close();
  // Runs again: woken by a question, if the closing tab did not wake it.
  await rig.driver.health();
  const startedAt = Date.now();
  await waitFor(async () => (await connectionGroups(rig.gateway)).length === 0, {
    timeoutMs: STALE_MS,
    what: 'groups of the tab closed while the background was stopped deleted',
  });
  figures.closedWhileStoppedMs = Date.now() - startedAt;
  const health = await rig.driver.health();
  figures.closedWhileStopped = { missedOnRemoved, repaired: health.integrity.repaired };
  // A stopped background can only learn of the closed tab from its start-up check. One that ran
  // when the tab closed heard onRemoved, unless it was still starting (then the check, which runs
  // before queued events, found the tab gone first): either count is right then.
  const repairedClosed = health.integrity.repaired['closed-tab'] ?? 0;
  if (missedOnRemoved) expect(repairedClosed).toBe(groups.length);
  else expect([0, groups.length]).toContain(repairedClosed);
  expect(health.connections.total).toBe(0);
}

/**
 * Garbage in every stored key while the background is stopped: it starts running, reports each
 * repair and invalid setting, deletes the orphans only the garbage named, and the call goes on.
 */
export async function garbageRepairScenario(rig: DriverRig, page: ScenarioPage, figures: Figures): Promise<void> {
  const { driver, gateway } = rig;
  const groups = await startCall(rig, page);
  const liveIds = groups.map(groupIdOf).sort();
  await trackerSaved(rig, 2);
  // Groups a previous run left behind, which only the garbage in the tracker still names.
  const orphanBody = '# TYPE e2e_orphan gauge\ne2e_orphan 1\n';
  for (const orphan of ['orphanclosed', 'orphantrunc1']) {
    expect((await gateway.push(`job/e2e/peer_connection_id/${orphan}`, orphanBody, 'PUT')).ok).toBe(true);
  }

  // The garbage is made once from the clean saved state, so that writing it again (below) writes the same.
  const saved = await trackerEntries(rig);
  const entries = saved[0]?.entries ?? [];
  const tracker = {
    version: 1,
    entries: [
      ...entries,
      { groupId: 'orphantrunc1', tabId: 5 },
      { ...(entries[0] as object), groupId: 'wrongtypes01', tabId: 'seven', pcId: 'other' },
      { ...(entries[0] as object), groupId: 'orphanclosed', tabId: 987_654_321, pcId: 'gone' },
      42,
      'junk',
    ],
  };
  const inArea = (area: StorageArea) => (saved.some((found) => found.area === area) ? { [TRACKER_STORAGE_KEY]: tracker } : {});
  const garbage = {
    sync: {
      settings: {
        version: 99,
        gateway: { url: gateway.url, job: 'e2e', gzip: 'yes' },
        customOrigins: [LOOPBACK],
        intervalMs: 'fast',
        platforms: 'all',
        reliability: { staleConnectionMs: -5, queueMaxSize: { nested: true } },
      },
      settingsSavedAt: Date.now(),
    },
    local: inArea('local'),
    session: {
      [OUTBOX_STORAGE_KEY]: {
        format: 1,
        entries: [{ groupId: 'x', kind: 'push' }, 'garbage', { groupId: 'y', kind: 'explode', groupingKey: {}, body: '', updatedAt: 1 }],
      },
      'exporter.delivery': { pushesOk: 'lots' },
      'exporter.networkBreaker': { format: 9, policy: null },
      ...inArea('session'),
    },
  };

  const release = await driver.holdReports(page);
  const attempts = await writeWhileStopped(rig, () => driver.writeStorage(garbage));
  await release();
  // The health question wakes the background, which reads the garbage as it starts.
  const restartedAt = Date.now() / 1000;
  const health = await healthWhere(
    driver,
    (current) => current.status !== 'starting' && current.integrity.lastRunAt !== null,
    'health after the restart',
  );
  figures.garbageRepair = { attempts, status: health.status, repaired: health.integrity.repaired, invalidSettingsFields: health.integrity.invalidSettingsFields };
  expect(health.status).toBe('running');
  expect(health.integrity.repaired).toMatchObject({ 'invalid-entry': 4, 'closed-tab': 1, 'outbox-entry': 3, 'delivery-stats': 1 });
  expect(health.integrity.invalidSettingsFields).toEqual(
    expect.arrayContaining(['version', 'gateway.gzip', 'intervalMs', 'reliability.staleConnectionMs', 'reliability.queueMaxSize']),
  );
  expect(health.connections.total).toBe(2);

  // The call goes on in the same groups, pushed again after the restart; the orphans are gone.
  const after = await waitFor(
    async () => {
      const found = await connectionGroups(gateway);
      const ids = found.map(groupIdOf).sort();
      const fresh = found.every((group) => pushTime(group) > restartedAt);
      return JSON.stringify(ids) === JSON.stringify(liveIds) && fresh ? found : undefined;
    },
    // A restarted background pushes the groups it knew at its first push tick (default push interval 10 s,
    // counted from the end of its start-up, which takes seconds on a loaded machine).
    { timeoutMs: 20_000, what: 'the call’s groups pushed after the restart, and only them' },
  );
  figures.pushAfterRestartS = Math.max(...after.map((group) => pushTime(group) - restartedAt));
  const settled: Health = await driver.health();
  expect(settled.delivery.breaker).toBe('closed');
}

/**
 * Stops the background and runs `write` at once, in a state where the background is stopped: if
 * it ran again before the write began (Chromium restarts a stopped worker within ~0.5 s now and
 * then; a page's report wakes Firefox's event page), it is stopped again. A start during the write
 * is harmless: the write issues every item before the first settles, and a starting background
 * reads storage after that. Returns the attempts.
 */
async function writeWhileStopped(rig: DriverRig, write: () => Promise<void>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const stayedStopped = await rig.driver.stopBackground();
    if (await stayedStopped()) {
      await write();
      return attempt;
    }
    if (attempt === 8) throw new Error('the background does not stay stopped');
  }
}

/**
 * A browser closed during a gateway outage, after the call ended, deletes the call's groups once
 * it is started again with the same profile and the gateway is back (needs a driver with
 * `persistentProfile`; the gateway must run without its admin API's wipe in between).
 */
export async function pendingDeletesAcrossRestartScenario(rig: DriverRig): Promise<void> {
  const { driver, gateway } = rig;
  await driver.configure(
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
  const page = await driver.newPage();
  const call = await startTwoPcCall(page, rig.pages.pageUrl('call'), gateway);
  const owned = [call.callerId, call.calleeId].sort();

  /** Outbox entries per area, as `kind:groupId`. */
  const storedOutbox = async () => {
    const stored = await driver.readStorage([OUTBOX_STORAGE_KEY, OUTBOX_DELETES_STORAGE_KEY]);
    const list = (area: StorageArea) =>
      [OUTBOX_STORAGE_KEY, OUTBOX_DELETES_STORAGE_KEY].flatMap((key) =>
        ((stored[area][key] as { entries?: { kind: string; groupId: string }[] } | undefined)?.entries ?? []).map(
          (entry) => `${entry.kind}:${entry.groupId}`,
        ),
      );
    return { local: list('local'), session: list('session') };
  };

  // Gateway down (a clean stop writes its persistence file: the groups come back with it).
  await gateway.stop();
  await page.evaluate(() => window.hangUp());
  // Wait until the deletes are written (to whichever area): what a browser quit leaves behind.
  const written = await waitFor(
    async () => {
      const stored = await storedOutbox();
      const deletes = [...stored.local, ...stored.session].filter((entry) => entry.startsWith('delete:'));
      return deletes.length === 2 ? deletes : undefined;
    },
    { timeoutMs: 15_000, what: 'both deletes written to extension storage' },
  );
  expect(written.sort()).toEqual(owned.map((id) => `delete:${id}`));
  // And until the tracker has saved that the connections ended (as it has when a user quits
  // the browser some time after a call): after the restart only the outbox knows the groups.
  await waitFor(
    async () => {
      const tracked = (await trackerEntries(rig)).flatMap((found) => found.entries as { groupId?: string }[]);
      return tracked.some((entry) => owned.includes(entry.groupId ?? '')) ? undefined : true;
    },
    { timeoutMs: 15_000, what: 'the tracker to save the ended connections' },
  );
  await page.close();
  await driver.restartBrowser(async () => {
    // The groups are still in the gateway's saved state: checked with the browser closed.
    await gateway.restart({ keepPersistence: true });
    expect((await connectionGroups(gateway)).map(groupIdOf).sort()).toEqual(owned);
    await gateway.stop();
  });

  // Same profile, gateway still down: the deletes come back from storage.local, session is empty.
  const restored = await healthWhere(driver, (health) => health.delivery.pendingDeletes === 2, 'two pending deletes after the restart');
  expect(restored.delivery.pendingDeletes).toBe(2);
  expect((await storedOutbox()).session.filter((entry) => entry.startsWith('delete:'))).toEqual([]);

  const backAt = Date.now();
  await gateway.restart({ keepPersistence: true });
  await waitFor(async () => ((await connectionGroups(gateway)).length === 0 ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: 'the call groups to be deleted after the gateway came back',
  });
  const deletedAfterMs = Date.now() - backAt;
  await healthWhere(driver, (health) => health.delivery.pendingDeletes === 0, 'no pending deletes left');
  console.log(`[durable-deletes ${driver.name}] groups deleted ${deletedAfterMs} ms after the gateway came back (after a browser restart)`);
}

/**
 * Registers, inside a `describe`, the rig's hooks and the shared durable-state tests for the
 * browser `createDriver` launches (`background` names its background in the test names), and logs
 * the figures at the end. Returns the rig, the current call page and the figures for a browser's
 * own further tests.
 */
export function durableStateSuite<D extends BrowserDriver>(createDriver: () => Promise<D>, background: string) {
  const state: { rig?: DriverRig<D>; page?: ScenarioPage } = {};
  const figures: Figures = {};
  beforeAll(async () => {
    state.rig = await startDriverRig(createDriver);
  });
  afterAll(async () => {
    console.log(`[durable-state e2e ${state.rig?.driver.name}] ${JSON.stringify(figures)}`);
    await stopCallRig(state.rig ?? {});
  });
  beforeEach(async () => {
    state.page = await prepareDurableTest(state.rig!, state.page);
  });

  it('deletes the groups of a tab closed mid-call without hang-up, within the stale limit', async () => {
    await closedTabScenario(state.rig!, state.page!, figures);
  });
  it(`deletes the groups of a tab that closed while the ${background} was stopped, once it runs again`, async () => {
    await closedWhileStoppedScenario(state.rig!, state.page!, figures);
  });
  it(`recovers from garbage in storage across a ${background} restart, reports the repairs, and keeps the call exporting`, async () => {
    await garbageRepairScenario(state.rig!, state.page!, figures);
  });
  return {
    rig: () => state.rig!,
    page: () => state.page!,
    /** Closes the current call page (a test that opens its own). */
    async closePage() {
      await state.page?.close().catch(() => {});
      state.page = undefined;
    },
    figures,
  };
}
