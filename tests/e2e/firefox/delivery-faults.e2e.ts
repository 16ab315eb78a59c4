import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { createFirefoxDriver } from '../support/firefox-driver';
import type { ScenarioPage } from '../support/platform-shapes';
import {
  backgroundStopDuringOutageScenario,
  gatewayCrashScenario,
  hangUpDuringOutageScenario,
  prepareFaultTest,
  startFaultRig,
  stopFaultRig,
  type FaultRig,
} from '../support/delivery-fault-scenarios';

/**
 * The delivery fault scenarios of Chromium's delivery-faults.e2e.ts, same bodies, in Firefox ESR
 * (MV3: the background is an event page, stopped through the debugger protocol as
 * about:debugging's "Terminate background script" does; see firefox-debugger.ts).
 */
describe('delivery under gateway faults (Firefox)', () => {
  let rig: FaultRig;
  let page: ScenarioPage | undefined;

  beforeAll(async () => {
    rig = await startFaultRig(() => createFirefoxDriver());
  });

  afterAll(async () => {
    await stopFaultRig(rig ?? {});
  });

  beforeEach(async () => {
    page = await prepareFaultTest(rig, page);
  });

  it('rides out a gateway crash with only probes, and both groups are fresh within half-open delay + 2 intervals of its restart', async () => {
    await gatewayCrashScenario(rig, page!);
  });

  it('deletes a group hung up during the outage once the gateway is back, and it stays deleted', async () => {
    await hangUpDuringOutageScenario(rig, page!);
  });

  it('loses nothing when the background event page is terminated during the outage', async () => {
    await backgroundStopDuringOutageScenario(rig, page!);
  });
});
