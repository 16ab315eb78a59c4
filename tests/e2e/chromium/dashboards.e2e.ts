import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { describeAlertValues, expectPanelData, grafanaBuiltins, queryPanel, waitForCallAlerts } from '../support/dashboard-check';
import { configureExtension, sampleValue } from '../support/exporter-control';
import { waitFor } from '../support/free-port';
import { loadDashboard, queryPanels } from '../support/grafana-dashboard';
import { startPrometheus, type Prometheus } from '../support/prometheus';
import { startPushgateway, type GatewayGroup, type Pushgateway } from '../support/pushgateway';
import { startImpairmentRelay, type ImpairmentRelay } from '../support/impairment-relay';
import { watchPushes, type ObservedPush, type PushWatch } from '../support/push-watch';

// A clean loopback call and an impaired one (8 % of datagrams dropped, 200 ms each way, through the
// UDP relay of tests/e2e/support/impairment-relay.ts) in Chromium with the extension, pushing the
// quality profile to a real Pushgateway scraped every 2 s by a real Prometheus with the shipped rules.
// Besides the dashboards and alerts, the values the extension exports are held against the truth:
// the impaired call's exported loss against the relay's own drops of the same packets, its RTT
// against the delay the relay adds, its MOS and class; the clean call's MOS and class.
//
// Why 8 % and 200 ms rather than the 5 % and ~170 ms: at 5 %/170 ms the E-model gives
// MOS ≈ 3.50 (d = 170 + 2·jitter + 26.5 ms ≈ 216 ms, Id ≈ 9.4, Ie,eff ≈ 15.8, R ≈ 68), right on the
// WebRTCCallLowMOS threshold, so the alert this file must see fire would flake. The engine at
// 5 %/200 ms is covered by impairment-relay.e2e.ts; the loss comparison here holds at any rate.
const JOB = 'webrtc-dashboards-e2e';
const AGENT = 'agent-e2e';
const LOOPBACK = 'http://127.0.0.1/*';
const SCRAPE_SECONDS = 2;
const RULES = ['prometheus/recording-rules.yml', 'prometheus/alert-rules.yml'].map((file) => path.resolve(file));
// More than one push window (10 s by default): one odd window (the first seconds of a call) must
// not fire an alert, two in a row must. The shipped `for:` values are tested by promtool.
const FOR_IN_TEST = '15s';
/** The minimum: the impaired call fires the loss and MOS alerts. */
const IMPAIRED_MUST_FIRE = ['WebRTCCallPacketLoss', 'WebRTCCallLowMOS'];

/** How long a clean call is watched for alerts: three push windows (10 s) plus FOR_IN_TEST and a scrape. */
const CLEAN_WATCH_MS = 50_000;
const DROP_RATIO = 0.08;
const DELAY_MS = 200;
/** The push interval at the default settings (10 s): a gap much longer means a push was missed. */
const PUSH_INTERVAL_S = 10;
/** The bounds: exported loss within 1.5 points of the relay's drops, RTT within 20 % of 2 × the delay. */
const LOSS_TOLERANCE = 0.015;
const RTT_TOLERANCE = 0.2;
/**
 * What the browser adds to the exported RTT (the window's highest ICE-check reading) on top of the
 * path: a starved browser answers and timestamps its checks late. Measured here on the relay's
 * ~410 ms: exported windows 21–34 % over it at load average 14–25 on 2 cores (140 ms at most), and
 * 260 ms on one window of a clean loopback call. Far below doubling the RTT (a wrong source or
 * unit), which the bound must still catch.
 */
const BROWSER_RTT_ALLOWANCE_S = 0.15;

const AUDIO_IN = { kind: 'audio', direction: 'inbound' };
const AUDIO_OUT = { kind: 'audio', direction: 'outbound' };
const qualityClass = (group: GatewayGroup) => group.families.webrtc_quality_class?.metrics[0]?.labels.class;
const reasons = (group: GatewayGroup) => (group.families.webrtc_quality_reason?.metrics ?? []).map((sample) => sample.labels.reason);

/**
 * The full windows among a group's pushes: each push with the one before it. The first push only
 * has the start time (a new connection is sent at once) and the second holds the call's set-up,
 * so both are left out; so is a pair more than 1.5 push intervals apart (a push was missed).
 */
function fullWindows(pushes: ObservedPush[]): Array<{ previous: ObservedPush; push: ObservedPush }> {
  return pushes
    .slice(2)
    .map((push, i) => ({ previous: pushes[i + 1]!, push }))
    .filter(({ previous, push }) => push.pushTime - previous.pushTime <= 1.5 * PUSH_INTERVAL_S);
}

/** The call's two groups as the watch saw them: the callee receives (inbound series), the caller sends. */
function callGroups(watch: PushWatch): { callee?: string; caller?: string } {
  const ids = [...new Set(watch.pushes().map((push) => push.groupId))];
  const has = (id: string, labels: Record<string, string>) =>
    watch.pushesOf(id).some((push) => sampleValue(push.group, 'webrtc_packet_rate_packets_per_second', labels) !== undefined);
  return { callee: ids.find((id) => has(id, AUDIO_IN)), caller: ids.find((id) => has(id, AUDIO_OUT)) };
}

function describeWindow(label: string, group: GatewayGroup): string {
  const audio = sampleValue(group, 'webrtc_packet_loss_ratio', AUDIO_IN) !== undefined ? AUDIO_IN : AUDIO_OUT;
  const loss = sampleValue(group, 'webrtc_packet_loss_ratio', audio);
  return (
    `${label} ${audio.direction} audio: loss ${loss === undefined ? '-' : (loss * 100).toFixed(2)} %, ` +
    `MOS ${sampleValue(group, 'webrtc_mos', audio)}, RTT ${sampleValue(group, 'webrtc_round_trip_time_seconds')} s, ` +
    `class ${qualityClass(group)} (${reasons(group).join(', ')})`
  );
}

describe('dashboards and alerts on a real clean and a real impaired call (chromium)', () => {
  let gateway: Pushgateway;
  let prometheus: Prometheus;
  let cleanPages: CallPageServer;
  let impairedPages: CallPageServer;
  let relay: ImpairmentRelay | undefined;
  let browser: ChromiumHarness;
  const watches: PushWatch[] = [];
  const panels = queryPanels(loadDashboard('quality'));

  beforeAll(async () => {
    relay = await startImpairmentRelay({ dropRatio: DROP_RATIO, delayMs: DELAY_MS });
    gateway = await startPushgateway({ adminApi: true });
    // Two page servers, so the two calls differ by origin and can be told apart in Prometheus.
    cleanPages = await startCallPageServer();
    impairedPages = await startCallPageServer();
    prometheus = await startPrometheus({
      pushgatewayUrl: gateway.url,
      ruleFiles: RULES,
      scrapeInterval: `${SCRAPE_SECONDS}s`,
      evaluationInterval: '1s',
      forOverride: FOR_IN_TEST,
      scrapeLimitsFrom: path.resolve('prometheus/scrape-config.example.yml'),
    });
    browser = await launchChromium({ args: ['--autoplay-policy=no-user-gesture-required'] });
    await configureExtension(browser, { gateway: { url: gateway.url, job: JOB }, customOrigins: [LOOPBACK], intervalMs: 1_000, agentId: AGENT }, LOOPBACK);
  });

  afterAll(async () => {
    for (const watch of watches) await watch.stop().catch(() => undefined);
    await browser?.close();
    await relay?.close();
    await Promise.all([cleanPages?.close(), impairedPages?.close()]);
    await prometheus?.stop();
    await gateway?.stop();
  });

  /** Starts a call on `pages` and returns its page and the call_id the extension gave it (found by origin). */
  async function startCall(pages: CallPageServer, query: Record<string, string>): Promise<{ page: Page; callId: string }> {
    const page = await browser.context.newPage();
    await page.goto(pages.pageUrl('call', query));
    await page.evaluate(() => window.startCall());
    const callId = await waitFor(
      async () => {
        const rows = await prometheus.query(`group by (call_id, origin) (webrtc_connection_start_timestamp_seconds{job="${JOB}"})`);
        return rows.find((row) => row.labels.origin === pages.origin)?.labels.call_id;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: `the call on ${pages.origin} in Prometheus (webrtc_connection_start_timestamp_seconds)` },
    );
    return { page, callId };
  }

  async function expectEveryPanelAnswers(callId: string): Promise<void> {
    const values = { job: JOB, platform: '.*', agent: AGENT, call: callId, ...grafanaBuiltins(SCRAPE_SECONDS) };
    for (const panel of panels) expectPanelData(panel, await queryPanel(prometheus, panel, values), { callId, agentId: AGENT }, false);
  }

  // One call at a time: two calls at once double the CPU a loaded 2-core machine has to give, and a
  // starved "clean" call measured RTT 906 ms and MOS 2.1 in getStats when both ran together.
  /** Watches the pushes of the calls on `pages` (by origin) from before the call starts. */
  function watchCall(pages: CallPageServer, withRelay: boolean): PushWatch {
    const watch = watchPushes(gateway, { select: (group) => group.labels.origin === pages.origin, relay: withRelay ? relay : undefined });
    watches.push(watch);
    return watch;
  }

  it('a clean call answers every quality panel, fires no call alert, and exports MOS > 4.2 and windows rated good', async () => {
    const watch = watchCall(cleanPages, false);
    const { page, callId } = await startCall(cleanPages, { audio: 'play' });
    await new Promise((resolve) => setTimeout(resolve, CLEAN_WATCH_MS));
    await expectEveryPanelAnswers(callId);
    for (const line of await describeAlertValues(prometheus, { clean: callId })) console.info(`[real call alerts] ${line}`);
    const firing = (await prometheus.alerts()).filter((alert) => alert.labels.call_id === callId && alert.state === 'firing');
    expect(firing).toEqual([]);

    // What the extension exported, as the gateway holds it. Every full window: MOS over 4.2 and no
    // loss. A starved browser on a loaded 2-core machine (load average 18 seen) makes a loopback
    // window late, with jitter, freezes and concealment that the engine rightly rates down, so the
    // class is held on the best window: at least one of each connection is good, with no reason.
    const { callee, caller } = callGroups(watch);
    for (const [label, id, audio] of [['callee', callee, AUDIO_IN], ['caller', caller, AUDIO_OUT]] as const) {
      expect(id, `the clean call's ${label} group`).toBeDefined();
      const windows = fullWindows(watch.pushesOf(id!)).map(({ push }) => push.group);
      for (const group of windows) console.info(`[exported] clean ${describeWindow(label, group)}`);
      expect(windows.length, `full windows of the clean call's ${label}`).toBeGreaterThanOrEqual(2);
      for (const group of windows) {
        expect(sampleValue(group, 'webrtc_mos', audio)).toBeGreaterThan(4.2);
        expect(reasons(group)).not.toContain('high_loss');
      }
      expect(windows.filter((group) => qualityClass(group) === 'good' && reasons(group).length === 0).length).toBeGreaterThan(0);
    }
    await page.evaluate(() => window.hangUp());
  });

  it('an impaired call answers every quality panel, fires the loss and MOS alerts, and clears them after hang-up', async () => {
    const watch = watchCall(impairedPages, true);
    const { page, callId } = await startCall(impairedPages, { audio: 'play', relay: String(relay!.port) });
    await waitForCallAlerts(prometheus, callId, IMPAIRED_MUST_FIRE, 90_000);
    await expectEveryPanelAnswers(callId);
    for (const line of await describeAlertValues(prometheus, { impaired: callId })) console.info(`[real call alerts] ${line}`);
    await expectExportedImpairment(page, watch);

    await page.evaluate(() => window.hangUp());
    const started = Date.now();
    await waitFor(async () => (await prometheus.alerts()).every((alert) => alert.labels.call_id !== callId), {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: `no alert left for call ${callId}`,
    });
    console.info(`[real call alerts] impaired call's alerts gone ${Date.now() - started} ms after hang-up`);
  });

  /**
   * The impaired call's exported windows against the relay. Loss: the callee's exported inbound
   * audio loss against the share of that very stream's RTP packets (its SSRC, read from the page's
   * getStats) the relay dropped between the two pushes that bound each window (the relay's counts
   * at the gateway's push times) — the same packets, so no sampling noise; a window's ends are the
   * page's last poll before each push, up to a poll interval (50 audio packets) earlier — more when
   * the browser is starved — which moves drops between neighbouring windows (windows 0.02–0.04
   * point off at load average 21–25, one 1.5 points off at 33, with half its packets). So the full
   * windows together (each weighted by the packets the relay carried in it), whose inner ends
   * cancel, are held within 1.5 points; each window is printed. Audio only: Chromium
   * counts video packets recovered by retransmission as received (docs/metrics.md). RTT: both
   * connections' windows against what the relay really added (every datagram crosses it once each way).
   */
  async function expectExportedImpairment(page: Page, watch: PushWatch): Promise<void> {
    const reports = await page.evaluate(() => window.e2e.reports());
    const audioSsrc = reports[1]!.find((stat) => stat.type === 'inbound-rtp' && stat.kind === 'audio')?.ssrc;
    expect(typeof audioSsrc, 'the callee’s inbound audio ssrc').toBe('number');
    const { callee, caller } = await waitFor(
      async () => {
        const ids = callGroups(watch);
        const enough = ids.callee && ids.caller && [ids.callee, ids.caller].every((id) => fullWindows(watch.pushesOf(id)).length >= 2);
        return enough ? { callee: ids.callee!, caller: ids.caller! } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'two full exported windows of each connection of the impaired call' },
    );

    const span = { packets: 0, relayDropped: 0, exportedLost: 0 };
    for (const { previous, push } of fullWindows(watch.pushesOf(callee))) {
      const before = previous.relay.get(audioSsrc as number) ?? { received: 0, dropped: 0 };
      const after = push.relay.get(audioSsrc as number) ?? { received: 0, dropped: 0 };
      const packets = after.received - before.received;
      const relayLoss = (after.dropped - before.dropped) / packets;
      const exportedLoss = sampleValue(push.group, 'webrtc_packet_loss_ratio', AUDIO_IN)!;
      span.packets += packets;
      span.relayDropped += after.dropped - before.dropped;
      span.exportedLost += exportedLoss * packets;
      console.info(
        `[exported] impaired ${describeWindow('callee', push.group)}; relay dropped ${after.dropped - before.dropped} of ` +
          `${packets} audio packets (${(relayLoss * 100).toFixed(2)} %) in the same window`,
      );
      expect(sampleValue(push.group, 'webrtc_mos', AUDIO_IN)).toBeLessThan(3.6);
      expect(qualityClass(push.group)).not.toBe('good');
      expect(reasons(push.group)).toContain('high_loss');
    }
    const [exportedLoss, relayLoss] = [span.exportedLost / span.packets, span.relayDropped / span.packets];
    console.info(
      `[exported] impaired call, full windows together: exported audio loss ${(exportedLoss * 100).toFixed(2)} %, ` +
        `relay dropped ${(relayLoss * 100).toFixed(2)} % of ${span.packets} audio packets`,
    );
    expect(span.packets).toBeGreaterThan(500);
    expect(Math.abs(exportedLoss - relayLoss), `exported ${exportedLoss} vs relay ${relayLoss}`).toBeLessThanOrEqual(LOSS_TOLERANCE);
    for (const [label, id] of [['callee', callee], ['caller', caller]] as const) {
      const windows: Array<{ rtt: number; addedRtt: number }> = [];
      for (const { previous, push } of fullWindows(watch.pushesOf(id))) {
        // The delay the relay really added: DELAY_MS plus however late the test process's timers
        // fired in that window (the relay measures each datagram's stay), once each way.
        const [before, after] = [previous.relayTotals!, push.relayTotals!];
        const addedRtt = (2 * (after.heldMs - before.heldMs)) / (after.forwarded - before.forwarded) / 1000;
        const rtt = sampleValue(push.group, 'webrtc_round_trip_time_seconds')!;
        console.info(`[exported] impaired ${describeWindow(label, push.group)}; the relay added ${(addedRtt * 1000).toFixed(1)} ms both ways together`);
        expect(addedRtt).toBeGreaterThanOrEqual((2 * DELAY_MS) / 1000);
        // Never under the delay the packets really had: a wrong unit or source would show here.
        expect(rtt, `${label} RTT`).toBeGreaterThanOrEqual(addedRtt * (1 - RTT_TOLERANCE));
        windows.push({ rtt, addedRtt });
      }
      // The exported RTT is the window's highest reading, and a starved browser adds its own delay to
      // every ICE check (BROWSER_RTT_ALLOWANCE_S), more to some: the 20 %, plus that
      // allowance, is held on the best window of each connection; every window is printed.
      console.info(`[exported] impaired ${label}: exported RTT / relay's added delay per window ${windows.map(({ rtt, addedRtt }) => (rtt / addedRtt).toFixed(3)).join(', ')}`);
      const best = Math.min(...windows.map(({ rtt, addedRtt }) => rtt - addedRtt * (1 + RTT_TOLERANCE)));
      expect(best, `${label}: best window's exported RTT over 1.2 × the relay's added delay, s`).toBeLessThanOrEqual(BROWSER_RTT_ALLOWANCE_S);
    }
  }
});
