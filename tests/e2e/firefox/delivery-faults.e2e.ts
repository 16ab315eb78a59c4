import { describe } from 'vitest';
import { createFirefoxDriver } from '../support/firefox-driver';
import { deliveryFaultSuite } from '../support/delivery-fault-scenarios';

/**
 * The delivery fault scenarios of Chromium's delivery-faults.e2e.ts, same bodies, in Firefox ESR
 * (MV3: the background is an event page, terminated through the debugger protocol as
 * about:debugging's "Terminate background script" does; see firefox-debugger.ts).
 */
describe('delivery under gateway faults (Firefox)', () => {
  deliveryFaultSuite(() => createFirefoxDriver(), 'background event page');
});
