import { afterAll, beforeAll, describe, it } from 'vitest';
import { createChromiumDriver } from '../support/chromium-driver';
import { startDriverRig, stopCallRig, type DriverRig } from '../support/call-rig';
import { pendingDeletesAcrossRestartScenario } from '../support/durable-state-scenarios';

/**
 * Issue 10 item 9: a browser closed during a gateway outage, after the call ended, deletes the
 * call's groups once it is started again with the same profile and the gateway is back. Before
 * the fix the deletes lived in storage.session, which the browser clears when it closes.
 */
describe('pending deletes across a browser restart (Chromium, persistent profile)', () => {
  let rig: DriverRig;

  beforeAll(async () => {
    rig = await startDriverRig(() => createChromiumDriver({ persistentProfile: true }));
  });

  afterAll(async () => {
    await stopCallRig(rig ?? {});
  });

  it('deletes every group the browser owned once the gateway is back after the restart', async () => {
    await pendingDeletesAcrossRestartScenario(rig);
  });
});
