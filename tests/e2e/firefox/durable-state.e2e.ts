import { describe, it } from 'vitest';
import { createFirefoxDriver } from '../support/firefox-driver';
import { durableStateSuite, pendingDeletesAcrossRestartScenario } from '../support/durable-state-scenarios';

/**
 * Chromium's durable-state and durable-deletes scenarios, same bodies, in Firefox ESR with one
 * browser for the file: its profile is kept (a temp dir of the driver's), so the last test can
 * close Firefox and start it again on the same profile. The background event page is terminated
 * over the debugger protocol (firefox-debugger.ts); Firefox cannot freeze a page over BiDi, so
 * a write meant for a stopped background is made only once it is seen still stopped.
 */
describe('durable state in Firefox', () => {
  const suite = durableStateSuite(() => createFirefoxDriver({ persistentProfile: true }), 'background event page');

  // Last: it closes Firefox and starts it again on the same profile (the temporary add-on installed again).
  it('deletes every group the browser owned once the gateway is back after a browser restart', async () => {
    await suite.closePage();
    await pendingDeletesAcrossRestartScenario(suite.rig());
  });
});
