import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { BrowserDriver } from './browser-driver';
import { startDriverRig, stopCallRig, type DriverRig } from './call-rig';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import type { ScenarioPage } from './platform-shapes';
import { connectionGroups } from './exporter-control';
import {
  CALLER_FAMILY,
  type CallGroups,
  closeCallee,
  finalStateLoss,
  groupIdOf,
  healthWhere,
  liveCall,
  maxOutageRequests,
  pageCounters,
  startTwoPcCall,
  timesSeen,
} from './delivery-faults';

/**
 * The delivery fault scenarios that run in Chromium and in Firefox from one body each: a real
 * Pushgateway behind the fault proxy (the extension's gateway URL is the proxy's; with the gateway
 * process down the proxy answers 502, as a reverse proxy in front of a dead gateway does, and
 * counts every request that reached the gateway's address), driven through a BrowserDriver.
 */

export const FAULT_INTERVAL_MS = 500;
export const FAULT_RELIABILITY = {
  breakerFailureThreshold: 3,
  halfOpenInitialDelayMs: 1_000,
  halfOpenMaxDelayMs: 4_000,
  requestTimeoutMs: 2_000,
};
/** utils/export/delivery.ts keeps this many requests in flight at once (its default). */
export const FAULT_CONCURRENCY = 4;
/** Slack for polling the gateway and a busy shared machine; small next to the bounds it is added to. */
export const FAULT_SLACK_MS = 1_000;
/** The recovery bound of the issue: the half-open delay (at most its configured maximum) plus two intervals. */
export const RECOVERY_BOUND_MS = FAULT_RELIABILITY.halfOpenMaxDelayMs + 2 * FAULT_INTERVAL_MS;
const LOOPBACK = 'http://127.0.0.1/*';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a fault test file starts once: gateway, proxy in front of it, call pages and one browser. */
export interface FaultRig extends DriverRig {
  proxy: FaultProxy;
}

/** Settings of every fault test: every poll pushed (bounds are counted in intervals), raw byte counters for the freshness checks. */
export function faultSettings(proxyUrl: string) {
  return {
    gateway: { url: proxyUrl, job: 'e2e-faults' },
    customOrigins: [LOOPBACK],
    intervalMs: FAULT_INTERVAL_MS,
    pushIntervalMs: FAULT_INTERVAL_MS,
    exportProfile: 'full' as const,
    reliability: FAULT_RELIABILITY,
  };
}

/** Starts the rig with the browser `createDriver` launches. */
export async function startFaultRig(createDriver: () => Promise<BrowserDriver>): Promise<FaultRig> {
  const rig = await startDriverRig(createDriver);
  const proxy = await startFaultProxy(rig.gateway.url);
  await rig.driver.configure(faultSettings(proxy.url), LOOPBACK);
  return { ...rig, proxy };
}

/** Stops whatever of the rig started (browser first, so nothing pushes into a stopped gateway). */
export async function stopFaultRig(rig: Partial<FaultRig>): Promise<void> {
  await rig.driver?.close();
  await rig.proxy?.close();
  await stopCallRig({ pages: rig.pages, gateway: rig.gateway });
}

/**
 * Before each test: a running gateway, the proxy passing, a closed breaker, an empty gateway and a
 * new page for the call (the previous one closed).
 */
export async function prepareFaultTest(rig: FaultRig, previous: ScenarioPage | undefined): Promise<ScenarioPage> {
  await previous?.close();
  // A failed test may have left the gateway down.
  if (!(await fetch(`${rig.gateway.url}/-/ready`).then((r) => r.ok, () => false))) await rig.gateway.restart();
  await rig.proxy.setMode('pass');
  await rig.driver.configure(faultSettings(rig.proxy.url), LOOPBACK);
  // The previous test may end with the breaker open; every test starts from a healthy path.
  await healthWhere(rig.driver, (h) => h.delivery.breaker === 'closed', 'breaker closed before the test', 20_000);
  await rig.gateway.wipe();
  return rig.driver.newPage();
}

/**
 * After an outage in which the callee hung up: brings the gateway back with its saved groups
 * while the extension stays cut off (503), checks the hung-up group came back with it, then
 * opens the path and waits for the caller to be fresh and the callee deleted.
 * `requests`: what reached the gateway's address up to `gatewayBackAt`, before the path opened.
 */
async function reopenWithSavedGroups(rig: FaultRig, page: ScenarioPage, before: CallGroups) {
  await rig.proxy.setMode({ status: 503 });
  await rig.gateway.restart({ keepPersistence: true });
  expect((await connectionGroups(rig.gateway)).map(groupIdOf)).toContain(before.calleeId);
  const requests = rig.proxy.count();
  const gatewayBackAt = Date.now();
  await rig.proxy.setMode('pass');
  const backAt = Date.now();
  const floor = await pageCounters(page);
  const final = await finalStateLoss(
    rig.gateway,
    [
      { id: before.callerId, final: 'live', family: CALLER_FAMILY, atLeast: floor.sent },
      { id: before.calleeId, final: 'deleted' },
    ],
    RECOVERY_BOUND_MS + FAULT_SLACK_MS,
  );
  return { requests, gatewayBackAt, final, recoveredMs: Date.now() - backAt };
}

/** Starts the call, then takes the gateway down (`kill`: a crash; `stop`: clean, its groups saved) and waits for the breaker to open. */
async function callIntoOutage(rig: FaultRig, page: ScenarioPage, how: 'kill' | 'stop') {
  const call = await startTwoPcCall(page, rig.pages.pageUrl('call'), rig.gateway);
  rig.proxy.resetCounts();
  const downAt = Date.now();
  await (how === 'kill' ? rig.gateway.kill() : rig.gateway.stop());
  const opened = await healthWhere(rig.driver, (h) => h.delivery.breaker === 'open', `breaker open after the gateway's ${how}`, 10_000);
  return { call, downAt, opened };
}

/** The gateway crashes mid-call and restarts empty: only probes reach it meanwhile, and both groups are fresh soon after. */
export async function gatewayCrashScenario(rig: FaultRig, page: ScenarioPage): Promise<void> {
  const { driver, gateway, proxy } = rig;
  const { call, downAt: killedAt, opened } = await callIntoOutage(rig, page, 'kill');
  expect(opened.delivery.lastError).toMatchObject({ kind: 'http', status: 502 });
  await sleep(killedAt + 24 * FAULT_INTERVAL_MS - Date.now());

  await gateway.restart();
  const upAt = Date.now();
  // Everything that reached the gateway's address while it was down (the restart included).
  const requests = proxy.count();
  const byRequest = { ...proxy.requests };
  const outageMs = upAt - killedAt;
  const floor = await pageCounters(page);
  const final = await finalStateLoss(gateway, liveCall(call, floor), RECOVERY_BOUND_MS + FAULT_SLACK_MS);
  const recoveredMs = Date.now() - upAt;

  const budget = maxOutageRequests({ outageMs, concurrency: FAULT_CONCURRENCY, ...FAULT_RELIABILITY });
  console.info(
    `[delivery ${driver.name}] crash: outage ${outageMs} ms (${Math.floor(outageMs / FAULT_INTERVAL_MS)} intervals), ` +
      `requests ${requests} (bound ${budget.total} = ${budget.opening} opening + ${budget.probes} probes) ${JSON.stringify(byRequest)}; ` +
      `final-state loss ${final.lost}/${final.total}, recovered ${recoveredMs} ms after restart (bound ${RECOVERY_BOUND_MS} ms)`,
  );
  expect(outageMs).toBeGreaterThanOrEqual(20 * FAULT_INTERVAL_MS);
  expect(final.lost).toBe(0);
  expect(recoveredMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS + FAULT_SLACK_MS);
  expect(requests).toBeLessThanOrEqual(budget.total);
  // Without the breaker, two groups pushed every interval would have sent two requests per interval.
  expect(requests).toBeLessThan(outageMs / FAULT_INTERVAL_MS);
  await healthWhere(driver, (h) => h.delivery.breaker === 'closed', 'breaker closed after recovery', 5_000);
}

/** The callee hangs up while the gateway is down: its group is deleted once the gateway is back, and stays deleted. */
export async function hangUpDuringOutageScenario(rig: FaultRig, page: ScenarioPage): Promise<void> {
  const { driver, gateway } = rig;
  // A clean stop writes the gateway's persistence file: the group comes back with the gateway, so only a DELETE removes it.
  const { call: before } = await callIntoOutage(rig, page, 'stop');

  await closeCallee(page);
  await healthWhere(driver, (h) => h.delivery.pendingDeletes >= 1, 'deletion of the hung-up group pending', 5_000);
  await sleep(4 * FAULT_INTERVAL_MS);

  const { final, recoveredMs } = await reopenWithSavedGroups(rig, page, before);
  const seenAgain = await timesSeen(gateway, before.calleeId, 6 * FAULT_INTERVAL_MS);
  console.info(
    `[delivery ${driver.name}] hang-up: final-state loss ${final.lost}/${final.total}, deleted and caller fresh ${recoveredMs} ms after the path came back; ` +
      `seen again in ${seenAgain} looks over the next 6 intervals`,
  );
  expect(final.lost).toBe(0);
  expect(seenAgain).toBe(0);
  expect((await driver.health()).delivery.pendingDeletes).toBe(0);
}

/**
 * The background (Chromium's service worker, Firefox's event page) is stopped during an outage
 * with a delete pending: it comes back with the open breaker, the delete and its counts, and
 * delivers the final state once the gateway is back.
 */
export async function backgroundStopDuringOutageScenario(rig: FaultRig, page: ScenarioPage): Promise<void> {
  const { driver, gateway } = rig;
  const { call: before, downAt } = await callIntoOutage(rig, page, 'stop');
  await closeCallee(page);
  const pending = await healthWhere(driver, (h) => h.delivery.pendingDeletes >= 1, 'deletion pending', 5_000);
  // Past the outbox's write delay (250 ms): what the browser stops is a background that has written its state.
  await sleep(2 * FAULT_INTERVAL_MS);

  await driver.stopBackground();
  // The caller's next report (or this health question) wakes the background, as in real use.
  const restarted = await healthWhere(driver, (h) => h.status !== 'starting', 'background initialised again', 15_000);
  expect(restarted.startedAt).toBeGreaterThan(pending.startedAt);
  // Restored, not rebuilt: the open breaker (no storm from a fresh start), the pending delete and the counts.
  expect(restarted.delivery.breaker).not.toBe('closed');
  expect(restarted.delivery.pendingDeletes).toBeGreaterThanOrEqual(1);
  expect(restarted.delivery.pushesFailed).toBeGreaterThanOrEqual(pending.delivery.pushesFailed);
  await sleep(4 * FAULT_INTERVAL_MS);

  const { requests, gatewayBackAt, final, recoveredMs } = await reopenWithSavedGroups(rig, page, before);
  const outageMs = gatewayBackAt - downAt;
  expect(final.lost).toBe(0);
  expect(await timesSeen(gateway, before.calleeId, 4 * FAULT_INTERVAL_MS)).toBe(0);
  const health = await driver.health();
  for (const reason of ['outbox-evicted', 'outbox-delete-evicted', 'outbox-corrupt', 'outbox-oversize']) {
    expect(health.drops[reason] ?? 0).toBe(0);
  }
  // One extra probe is allowed for the restart: a restored breaker whose delay has passed probes at once.
  const budget = maxOutageRequests({ outageMs, concurrency: FAULT_CONCURRENCY, ...FAULT_RELIABILITY });
  console.info(
    `[delivery ${driver.name}] background stop: outage ${outageMs} ms, requests ${requests} (bound ${budget.total + 1}), ` +
      `final-state loss ${final.lost}/${final.total}, recovered ${recoveredMs} ms after the path came back`,
  );
  expect(requests).toBeLessThanOrEqual(budget.total + 1);
}

/**
 * Registers, inside a `describe`, the rig's hooks and the three shared fault tests for the browser
 * `createDriver` launches; `background` names its background in the test names. Returns the rig
 * and the current call page for a browser's own further tests.
 */
export function deliveryFaultSuite(createDriver: () => Promise<BrowserDriver>, background: string) {
  const state: { rig?: FaultRig; page?: ScenarioPage } = {};
  beforeAll(async () => {
    state.rig = await startFaultRig(createDriver);
  });
  afterAll(async () => {
    await stopFaultRig(state.rig ?? {});
  });
  beforeEach(async () => {
    state.page = await prepareFaultTest(state.rig!, state.page);
  });

  it('rides out a gateway crash with only probes, and both groups are fresh within half-open delay + 2 intervals of its restart', async () => {
    await gatewayCrashScenario(state.rig!, state.page!);
  });
  it('deletes a group hung up during the outage once the gateway is back, and it stays deleted', async () => {
    await hangUpDuringOutageScenario(state.rig!, state.page!);
  });
  it(`loses nothing when the ${background} is stopped during the outage`, async () => {
    await backgroundStopDuringOutageScenario(state.rig!, state.page!);
  });
  return { rig: () => state.rig!, page: () => state.page! };
}
