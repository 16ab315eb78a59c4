import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { createFirefoxDriver, type FirefoxDriver } from '../support/firefox-driver';
import { startDriverRig, stopCallRig, type DriverRig } from '../support/call-rig';
import type { ScenarioPage } from '../support/platform-shapes';
import {
  closedTabScenario,
  closedWhileStoppedScenario,
  garbageRepairScenario,
  pendingDeletesAcrossRestartScenario,
  prepareDurableTest,
  type Figures,
} from '../support/durable-state-scenarios';

const figures: Figures = {};

/**
 * Chromium's durable-state and durable-deletes scenarios, same bodies, in Firefox ESR with one
 * browser for the file: its profile is kept (a temp dir of the driver's), so the last test can
 * close Firefox and start it again on the same profile. The background event page is terminated
 * over the debugger protocol (firefox-debugger.ts); Firefox cannot freeze a page over BiDi, so
 * a write meant for a stopped background is repeated until nothing woke it meanwhile.
 */
describe('durable state in Firefox', () => {
  let rig: DriverRig<FirefoxDriver>;
  let page: ScenarioPage | undefined;

  beforeAll(async () => {
    rig = await startDriverRig(() => createFirefoxDriver({ persistentProfile: true }));
  });

  afterAll(async () => {
    console.log(`[durable-state e2e Firefox] ${JSON.stringify(figures)}`);
    await stopCallRig(rig ?? {});
  });

  beforeEach(async () => {
    page = await prepareDurableTest(rig, page);
  });

  it('deletes the groups of a tab closed mid-call without hang-up, within the stale limit', async () => {
    await closedTabScenario(rig, page!, figures);
  });

  it('deletes the groups of a tab that closed while the event page was stopped, once it runs again', async () => {
    await closedWhileStoppedScenario(rig, page!, figures);
  });

  it('recovers from garbage in storage across an event-page restart, reports the repairs, and keeps the call exporting', async () => {
    await garbageRepairScenario(rig, page!, figures);
  });

  // Last: it closes Firefox and starts it again on the same profile (the temporary add-on installed again).
  it('deletes every group the browser owned once the gateway is back after a browser restart', async () => {
    await page?.close().catch(() => {});
    page = undefined;
    await pendingDeletesAcrossRestartScenario(rig);
  });
});
