import type { GatewayGroup, Pushgateway } from './pushgateway';
import { waitFor } from './free-port';
import { connectionGroups } from './exporter-control';
import type { BrowserDriver } from './browser-driver';
import type { ScenarioPage } from './platform-shapes';
import type { Health } from '../../../utils/messaging/health';

/**
 * Helpers for the delivery fault tests: which group is which end of the loopback call, how
 * fresh a group's values are compared with the page's own getStats(), and the most requests a
 * breaker may let through during an outage.
 */

/** The caller sends (outbound-rtp); the callee receives (inbound-rtp). */
export const CALLER_FAMILY = 'webrtc_outbound_rtp_bytes_sent_total';
export const CALLEE_FAMILY = 'webrtc_inbound_rtp_bytes_received_total';

export interface CallGroups {
  caller: GatewayGroup;
  callee: GatewayGroup;
  callerId: string;
  calleeId: string;
}

/** The grouping id the background gave a connection's group. */
export function groupIdOf(group: GatewayGroup): string {
  return group.labels.peer_connection_id ?? group.labels.peerConnectionId ?? '';
}

/** Sum of every sample of `family` in a group (e.g. bytes over the audio and video streams). */
export function familySum(group: GatewayGroup | undefined, family: string): number {
  return (group?.families[family]?.metrics ?? []).reduce((sum, sample) => sum + Number(sample.value ?? 0), 0);
}

/** Finds the caller's and the callee's groups, or undefined while either is missing. */
export async function callGroups(gateway: Pushgateway): Promise<CallGroups | undefined> {
  const groups = await connectionGroups(gateway);
  const caller = groups.find((group) => group.families[CALLER_FAMILY]);
  const callee = groups.find((group) => group.families[CALLEE_FAMILY]);
  if (!caller || !callee) return undefined;
  return { caller, callee, callerId: groupIdOf(caller), calleeId: groupIdOf(callee) };
}

/** Opens the call page, starts a two-PC loopback call and waits until both groups are in the gateway. */
export async function startTwoPcCall(page: ScenarioPage, url: string, gateway: Pushgateway): Promise<CallGroups> {
  await page.goto(url);
  await page.evaluate(() => window.startCall());
  return waitFor(() => callGroups(gateway), { timeoutMs: 15_000, what: 'caller and callee groups in the gateway' });
}

/** What the page's own getStats() says now: bytes the caller sent and the callee received. */
export async function pageCounters(page: ScenarioPage): Promise<{ sent: number; received: number }> {
  const [outbound, inbound] = await Promise.all([
    page.evaluate(() => window.e2e.statsOfType('outbound-rtp')),
    page.evaluate(() => window.e2e.statsOfType('inbound-rtp')),
  ]);
  const sum = (stats: Array<Record<string, unknown>>, field: string) =>
    stats.reduce((total, stat) => total + (typeof stat[field] === 'number' ? stat[field] : 0), 0);
  return { sent: sum(outbound, 'bytesSent'), received: sum(inbound, 'bytesReceived') };
}

/** What the gateway should hold for one group once delivery has caught up. */
export type ExpectedGroup =
  | { id: string; final: 'live'; family: string; atLeast: number }
  | { id: string; final: 'deleted' };

export interface FinalState {
  /** Groups whose final state (a snapshot at least as new as expected, or the deletion) is not in the gateway. */
  lost: number;
  total: number;
  /** When every group reached its final state, ms after the call; null if some never did within the time allowed. */
  reachedMs: number | null;
}

/**
 * Watches the gateway until every group is in its final state or `timeoutMs` passes, and
 * counts the groups that are not: the final-state loss. A live group counts as delivered only
 * with a value at least `atLeast` (read from the page's getStats() after the fault ended), which
 * only a snapshot taken after that moment can carry.
 */
export async function finalStateLoss(gateway: Pushgateway, expected: ExpectedGroup[], timeoutMs: number): Promise<FinalState> {
  const started = Date.now();
  const missing = async () => {
    const groups = await connectionGroups(gateway).catch(() => []);
    return expected.filter((want) => {
      const group = groups.find((candidate) => groupIdOf(candidate) === want.id);
      return want.final === 'deleted' ? group !== undefined : !group || familySum(group, want.family) < want.atLeast;
    }).length;
  };
  for (;;) {
    const lost = await missing();
    if (lost === 0) return { lost, total: expected.length, reachedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) return { lost, total: expected.length, reachedMs: null };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The final state of a live call: both ends hold values at least as new as `floor`. */
export function liveCall(call: CallGroups, floor: { sent: number; received: number }): ExpectedGroup[] {
  return [
    { id: call.callerId, final: 'live', family: CALLER_FAMILY, atLeast: floor.sent },
    { id: call.calleeId, final: 'live', family: CALLEE_FAMILY, atLeast: floor.received },
  ];
}

/** Closes one end of the call only (pc.close(), which fires no state event). */
export async function closeCallee(page: ScenarioPage): Promise<void> {
  await page.evaluate(() => {
    const e2e = window.e2e as unknown as { allPcs(): RTCPeerConnection[] };
    e2e.allPcs()[1]!.close();
  });
}

/** Polls the background's health (through a driver, in either browser) until `accept` holds. */
export async function healthWhere(
  browser: Pick<BrowserDriver, 'health'>,
  accept: (health: Health) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Health> {
  return waitFor(
    async () => {
      const health = await browser.health();
      return accept(health) ? health : undefined;
    },
    { timeoutMs, intervalMs: 100, what },
  );
}

/** Watches the gateway for `durationMs`; returns how many looks found the group (0 = it stayed away). */
export async function timesSeen(gateway: Pushgateway, groupId: string, durationMs: number, everyMs = 200): Promise<number> {
  const until = Date.now() + durationMs;
  let seen = 0;
  while (Date.now() < until) {
    const groups = await connectionGroups(gateway);
    if (groups.some((group) => groupIdOf(group) === groupId)) seen++;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return seen;
}

export interface OutageBudget {
  /** How long the gateway was unreachable, in ms. */
  outageMs: number;
  breakerFailureThreshold: number;
  halfOpenInitialDelayMs: number;
  halfOpenMaxDelayMs: number;
  /** Requests the delivery keeps in flight at once (utils/export/delivery.ts, default 4). */
  concurrency: number;
}

/**
 * The most requests that may reach the gateway's address during an outage: the failures that
 * open the breaker (the threshold, plus what was already in flight beside the one that tripped
 * it), then one probe per half-open delay. Delays are counted at their shortest (no jitter), so
 * this is an upper bound; a gateway that is hammered once per group per interval goes far past it.
 */
export function maxOutageRequests(budget: OutageBudget): { opening: number; probes: number; total: number } {
  const opening = budget.breakerFailureThreshold + budget.concurrency - 1;
  let probes = 0;
  let elapsed = 0;
  for (let attempt = 0; ; attempt++) {
    elapsed += Math.min(budget.halfOpenMaxDelayMs, budget.halfOpenInitialDelayMs * 2 ** attempt);
    if (elapsed > budget.outageMs) break;
    probes++;
  }
  return { opening, probes, total: opening + probes };
}
