import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { stopWorkerOnce } from '../support/delivery-worker';
import { configureExtension, connectionGroups, extensionHealth, pushTime } from '../support/exporter-control';
import {
  CALLER_FAMILY,
  type CallGroups,
  callGroups,
  closeCallee,
  finalStateLoss,
  groupIdOf,
  healthWhere,
  liveCall,
  maxOutageRequests,
  pageCounters,
  startTwoPcCall,
  timesSeen,
} from '../support/delivery-faults';

/**
 * Delivery under injected faults: real Chromium with the built extension, a real Pushgateway,
 * and the fault proxy between them (the extension's gateway URL is the proxy's). When the
 * gateway process is down the proxy answers 502 with the connection error, as a reverse proxy
 * in front of a dead gateway does, and counts every request that reached the gateway's address.
 */

const INTERVAL_MS = 500;
const LOOPBACK = 'http://127.0.0.1/*';
const RELIABILITY = {
  breakerFailureThreshold: 3,
  halfOpenInitialDelayMs: 1_000,
  halfOpenMaxDelayMs: 4_000,
  requestTimeoutMs: 2_000,
};
/** utils/export/delivery.ts keeps this many requests in flight at once (its default). */
const CONCURRENCY = 4;
/** Slack for polling the gateway and a busy shared machine; small next to the bounds it is added to. */
const SLACK_MS = 1_000;
/** The recovery bound of the issue: the half-open delay (at most its configured maximum) plus two intervals. */
const RECOVERY_BOUND_MS = RELIABILITY.halfOpenMaxDelayMs + 2 * INTERVAL_MS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('delivery under gateway faults (Chromium)', () => {
  let gateway: Pushgateway;
  let proxy: FaultProxy;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let page: Page | undefined;

  const settings = () => ({
    gateway: { url: proxy.url, job: 'e2e-faults' },
    customOrigins: [LOOPBACK],
    intervalMs: INTERVAL_MS,
    // These tests are about delivery through faults, with bounds counted in intervals: every poll is
    // pushed (push interval = poll interval) with the raw byte counters the freshness checks compare.
    pushIntervalMs: INTERVAL_MS,
    exportProfile: 'full' as const,
    reliability: RELIABILITY,
  });

  beforeAll(async () => {
    [gateway, pages] = await Promise.all([startPushgateway({ adminApi: true }), startCallPageServer()]);
    proxy = await startFaultProxy(gateway.url);
    browser = await launchChromium();
    await configureExtension(browser, settings(), LOOPBACK);
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await pages?.close();
    await gateway?.stop();
  });

  /**
   * After an outage in which the callee hung up: brings the gateway back with its saved groups
   * while the extension stays cut off (503), checks the hung-up group came back with it, then
   * opens the path and waits for the caller to be fresh and the callee deleted.
   * `requests`: what reached the gateway's address up to `gatewayBackAt`, before the path opened.
   */
  async function reopenWithSavedGroups(before: CallGroups) {
    await proxy.setMode({ status: 503 });
    await gateway.restart({ keepPersistence: true });
    expect((await connectionGroups(gateway)).map(groupIdOf)).toContain(before.calleeId);
    const requests = proxy.count();
    const gatewayBackAt = Date.now();
    await proxy.setMode('pass');
    const backAt = Date.now();
    const floor = await pageCounters(page!);
    const final = await finalStateLoss(
      gateway,
      [
        { id: before.callerId, final: 'live', family: CALLER_FAMILY, atLeast: floor.sent },
        { id: before.calleeId, final: 'deleted' },
      ],
      RECOVERY_BOUND_MS + SLACK_MS,
    );
    return { requests, gatewayBackAt, final, recoveredMs: Date.now() - backAt };
  }

  beforeEach(async () => {
    await page?.close();
    // A failed test may have left the gateway down.
    if (!(await fetch(`${gateway.url}/-/ready`).then((r) => r.ok, () => false))) await gateway.restart();
    await proxy.setMode('pass');
    await configureExtension(browser, settings(), LOOPBACK);
    // The previous test may end with the breaker open; every test starts from a healthy path.
    await healthWhere(browser, (h) => h.delivery.breaker === 'closed', 'breaker closed before the test', 20_000);
    await gateway.wipe();
    page = await browser.context.newPage();
  });

  it('rides out a gateway crash with only probes, and both groups are fresh within half-open delay + 2 intervals of its restart', async () => {
    const call = await startTwoPcCall(page!, pages.pageUrl('call'), gateway);
    proxy.resetCounts();
    const killedAt = Date.now();
    await gateway.kill();

    const opened = await healthWhere(browser, (h) => h.delivery.breaker === 'open', 'breaker open after the crash', 10_000);
    expect(opened.delivery.lastError).toMatchObject({ kind: 'http', status: 502 });
    await sleep(killedAt + 24 * INTERVAL_MS - Date.now());

    await gateway.restart();
    const upAt = Date.now();
    // Everything that reached the gateway's address while it was down (the restart included).
    const requests = proxy.count();
    const byRequest = { ...proxy.requests };
    const outageMs = upAt - killedAt;
    const floor = await pageCounters(page!);
    const final = await finalStateLoss(gateway, liveCall(call, floor), RECOVERY_BOUND_MS + SLACK_MS);
    const recoveredMs = Date.now() - upAt;

    const budget = maxOutageRequests({ outageMs, concurrency: CONCURRENCY, ...RELIABILITY });
    console.info(
      `[delivery] crash: outage ${outageMs} ms (${Math.floor(outageMs / INTERVAL_MS)} intervals), ` +
        `requests ${requests} (bound ${budget.total} = ${budget.opening} opening + ${budget.probes} probes) ${JSON.stringify(byRequest)}; ` +
        `final-state loss ${final.lost}/${final.total}, recovered ${recoveredMs} ms after restart (bound ${RECOVERY_BOUND_MS} ms)`,
    );
    expect(outageMs).toBeGreaterThanOrEqual(20 * INTERVAL_MS);
    expect(final.lost).toBe(0);
    expect(recoveredMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS + SLACK_MS);
    expect(requests).toBeLessThanOrEqual(budget.total);
    // Without the breaker, two groups pushed every interval would have sent two requests per interval.
    expect(requests).toBeLessThan(outageMs / INTERVAL_MS);
    await healthWhere(browser, (h) => h.delivery.breaker === 'closed', 'breaker closed after recovery', 5_000);
  });

  it('deletes a group hung up during the outage once the gateway is back, and it stays deleted', async () => {
    const before = await startTwoPcCall(page!, pages.pageUrl('call'), gateway);
    // A clean stop writes the gateway's persistence file: the group comes back with the gateway, so only a DELETE removes it.
    await gateway.stop();
    await healthWhere(browser, (h) => h.delivery.breaker === 'open', 'breaker open during the outage', 10_000);

    await closeCallee(page!);
    await healthWhere(browser, (h) => h.delivery.pendingDeletes >= 1, 'deletion of the hung-up group pending', 5_000);
    await sleep(4 * INTERVAL_MS);

    const { final, recoveredMs } = await reopenWithSavedGroups(before);
    const seenAgain = await timesSeen(gateway, before.calleeId, 6 * INTERVAL_MS);
    console.info(
      `[delivery] hang-up: final-state loss ${final.lost}/${final.total}, deleted and caller fresh ${recoveredMs} ms after the path came back; ` +
        `seen again in ${seenAgain} looks over the next 6 intervals`,
    );
    expect(final.lost).toBe(0);
    expect(seenAgain).toBe(0);
    expect((await extensionHealth(browser)).delivery.pendingDeletes).toBe(0);
  });

  it('loses nothing when the service worker is stopped during the outage', async () => {
    const before = await startTwoPcCall(page!, pages.pageUrl('call'), gateway);
    proxy.resetCounts();
    const downAt = Date.now();
    await gateway.stop();
    await healthWhere(browser, (h) => h.delivery.breaker === 'open', 'breaker open during the outage', 10_000);
    await closeCallee(page!);
    const pending = await healthWhere(browser, (h) => h.delivery.pendingDeletes >= 1, 'deletion pending', 5_000);
    // Past the outbox's write delay (250 ms): what Chrome stops is a worker that has written its state.
    await sleep(2 * INTERVAL_MS);

    await stopWorkerOnce(browser);
    // The caller's next report (or this health question) wakes the worker, as in real use.
    const restarted = await healthWhere(browser, (h) => h.status !== 'starting', 'worker initialised again', 15_000);
    expect(restarted.startedAt).toBeGreaterThan(pending.startedAt);
    // Restored, not rebuilt: the open breaker (no storm from a fresh start), the pending delete and the counts.
    expect(restarted.delivery.breaker).not.toBe('closed');
    expect(restarted.delivery.pendingDeletes).toBeGreaterThanOrEqual(1);
    expect(restarted.delivery.pushesFailed).toBeGreaterThanOrEqual(pending.delivery.pushesFailed);
    await sleep(4 * INTERVAL_MS);

    const { requests, gatewayBackAt, final, recoveredMs } = await reopenWithSavedGroups(before);
    const outageMs = gatewayBackAt - downAt;
    expect(final.lost).toBe(0);
    expect(await timesSeen(gateway, before.calleeId, 4 * INTERVAL_MS)).toBe(0);
    const health = await extensionHealth(browser);
    for (const reason of ['outbox-evicted', 'outbox-delete-evicted', 'outbox-corrupt', 'outbox-oversize']) {
      expect(health.drops[reason] ?? 0).toBe(0);
    }
    // One extra probe is allowed for the restart: a restored breaker whose delay has passed probes at once.
    const budget = maxOutageRequests({ outageMs, concurrency: CONCURRENCY, ...RELIABILITY });
    console.info(
      `[delivery] worker stop: outage ${outageMs} ms, requests ${requests} (bound ${budget.total + 1}), ` +
        `final-state loss ${final.lost}/${final.total}, recovered ${recoveredMs} ms after the path came back`,
    );
    expect(requests).toBeLessThanOrEqual(budget.total + 1);
  });

  it('opens the breaker after the threshold of 500s, closes it after recovery, and a 400 for one group does not stop the other', async () => {
    const call = await startTwoPcCall(page!, pages.pageUrl('call'), gateway);
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
      states.add((await extensionHealth(browser)).delivery.breaker);
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
    const call = await startTwoPcCall(page!, pages.pageUrl('call'), gateway);
    const before = await extensionHealth(browser);
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
    const floor = await pageCounters(page!);
    // A probe already stalled when the path came back must first time out itself.
    const final = await finalStateLoss(gateway, liveCall(call, floor), RECOVERY_BOUND_MS + RELIABILITY.requestTimeoutMs + SLACK_MS);
    console.info(
      `[delivery] stall: first timeout recorded ${cutMs} ms after the stall began; final-state loss ${final.lost}/${final.total}, ` +
        `recovered ${Date.now() - passAt} ms after it ended`,
    );
    expect(final.lost).toBe(0);
  });
});
