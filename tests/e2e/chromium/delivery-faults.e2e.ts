import { describe, expect, it } from 'vitest';
import { createChromiumDriver } from '../support/chromium-driver';
import { pushTime } from '../support/exporter-control';
import { callGroups, finalStateLoss, healthWhere, liveCall, pageCounters, startTwoPcCall } from '../support/delivery-faults';
import {
  FAULT_CONCURRENCY as CONCURRENCY,
  FAULT_INTERVAL_MS as INTERVAL_MS,
  FAULT_RELIABILITY as RELIABILITY,
  FAULT_SLACK_MS as SLACK_MS,
  RECOVERY_BOUND_MS,
  deliveryFaultSuite,
} from '../support/delivery-fault-scenarios';

/**
 * Delivery under injected faults in real Chromium: the scenarios shared with Firefox
 * (delivery-fault-scenarios.ts), then the HTTP faults (500s, a 400 for one group, a stall),
 * which do not depend on the browser and run here only.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('delivery under gateway faults (Chromium)', () => {
  const suite = deliveryFaultSuite(() => createChromiumDriver(), 'service worker');

  it('opens the breaker after the threshold of 500s, closes it after recovery, and a 400 for one group does not stop the other', async () => {
    const { driver: browser, gateway, proxy, pages } = suite.rig();
    const page = suite.page();
    const call = await startTwoPcCall(page, pages.pageUrl('call'), gateway);
    proxy.resetCounts();
    await proxy.setMode({ status: 500 });
    const opened = await healthWhere(browser, (h) => h.delivery.breaker === 'open', 'breaker open after 500s', 10_000);
    const openingRequests = proxy.count();
    expect(opened.delivery.lastError).toMatchObject({ kind: 'http', status: 500 });
    expect(openingRequests).toBeGreaterThanOrEqual(RELIABILITY.breakerFailureThreshold);
    // The threshold plus what was in flight beside the request that tripped it (and perhaps one probe by the time health is read).
    expect(openingRequests).toBeLessThanOrEqual(RELIABILITY.breakerFailureThreshold + CONCURRENCY - 1 + 1);

    await proxy.setMode('pass');
    const passAt = Date.now();
    await healthWhere(browser, (h) => h.delivery.breaker === 'closed', 'breaker closed after recovery', RECOVERY_BOUND_MS + SLACK_MS);
    const closedMs = Date.now() - passAt;

    await proxy.setMode({ status: 400, paths: new RegExp(`/${call.calleeId}$`) });
    proxy.resetCounts();
    const rejected = await healthWhere(
      browser,
      (h) => h.delivery.lastError?.status === 400,
      'the 400 recorded',
      5_000,
    );
    expect(rejected.delivery.lastError).toMatchObject({ kind: 'http', status: 400, groupId: call.calleeId });
    expect(rejected.delivery.lastError?.message).toContain('text format parsing error in line 1: fault-proxy injected 400');
    const callerBefore = pushTime((await callGroups(gateway))!.caller);

    const states = new Set<string>();
    const watchMs = 8 * INTERVAL_MS;
    const until = Date.now() + watchMs;
    while (Date.now() < until) {
      states.add((await browser.health()).delivery.breaker);
      await sleep(INTERVAL_MS / 2);
    }
    const callerAfter = pushTime((await callGroups(gateway))!.caller);
    const calleeRequests = proxy.count('PUT', new RegExp(`/${call.calleeId}$`));
    console.info(
      `[delivery] 500s: breaker open after ${openingRequests} requests, closed ${closedMs} ms after recovery; 400: ${calleeRequests} requests for the refused group ` +
        `in ${watchMs / INTERVAL_MS} intervals, caller push time advanced ${(callerAfter - callerBefore).toFixed(2)} s`,
    );
    // More 400s than the threshold went by, and the breaker never left closed.
    expect(calleeRequests).toBeGreaterThan(RELIABILITY.breakerFailureThreshold);
    expect([...states]).toEqual(['closed']);
    // One request per new snapshot, not a retry loop.
    expect(calleeRequests).toBeLessThanOrEqual(watchMs / INTERVAL_MS + 3);
    expect(callerAfter - callerBefore).toBeGreaterThanOrEqual((watchMs - 2 * INTERVAL_MS) / 1_000);
  });

  it('cuts a 10 s stall at the request timeout and counts it', async () => {
    const { driver: browser, gateway, proxy, pages } = suite.rig();
    const page = suite.page();
    const call = await startTwoPcCall(page, pages.pageUrl('call'), gateway);
    const before = await browser.health();
    await proxy.setMode('stall');
    const stalledAt = Date.now();
    const timedOut = await healthWhere(browser, (h) => h.delivery.lastError?.kind === 'timeout', 'a timeout recorded', 10_000);
    const cutMs = Date.now() - stalledAt;
    expect(timedOut.delivery.lastError?.message).toBe(`No answer within ${RELIABILITY.requestTimeoutMs} ms`);
    expect(timedOut.delivery.pushesFailed).toBeGreaterThan(before.delivery.pushesFailed);
    // Cut well before the proxy would have given up after 10 s.
    expect(cutMs).toBeLessThan(10_000 - 2 * SLACK_MS);

    await healthWhere(browser, (h) => h.delivery.breaker === 'open', 'breaker open after timeouts', 10_000);
    await proxy.setMode('pass');
    const passAt = Date.now();
    const floor = await pageCounters(page);
    // A probe already stalled when the path came back must first time out itself.
    const final = await finalStateLoss(gateway, liveCall(call, floor), RECOVERY_BOUND_MS + RELIABILITY.requestTimeoutMs + SLACK_MS);
    console.info(
      `[delivery] stall: first timeout recorded ${cutMs} ms after the stall began; final-state loss ${final.lost}/${final.total}, ` +
        `recovered ${Date.now() - passAt} ms after it ended`,
    );
    expect(final.lost).toBe(0);
  });
});
