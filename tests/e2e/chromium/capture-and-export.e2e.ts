import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type ChromiumHarness } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type GatewayGroup, type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import {
  askBackground,
  configureExtension,
  connectionGroups,
  extensionHealth,
  extensionPage,
  pushTime,
} from '../support/exporter-control';
import { expectAboutBlankIframeCaptured, expectFirstInlineScriptCaptured } from '../support/capture-scenarios';

const INTERVAL_MS = 1_000;
/** The default push interval (settings schema): windows are pushed at it, apart from polling. */
const PUSH_INTERVAL_MS = 10_000;
const LOOPBACK = 'http://127.0.0.1/*';

describe('capture and export in Chromium', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let page: Page;

  const baseSettings = () => ({
    gateway: { url: gateway.url, job: 'e2e' },
    customOrigins: [LOOPBACK],
    intervalMs: INTERVAL_MS,
    agentId: 'agent-7',
  });

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
    await configureExtension(browser, baseSettings(), LOOPBACK);
  });

  afterAll(async () => {
    await stopCallRig({ browser, pages, gateway });
  });

  beforeEach(async () => {
    await page?.close();
    await configureExtension(browser, baseSettings(), LOOPBACK);
    await gateway.wipe();
    page = await browser.context.newPage();
  });

  it('exports both peer connections of a call at once, their quality at the push interval, with the right labels and no query string', async () => {
    await page.goto(pages.pageUrl('call', { id: 'meeting-42', secret: 'hunter2' }));
    await page.evaluate(() => window.startCall());
    const connectedAt = Date.now();

    // A new connection's first snapshot is pushed at once: both groups appear within 3 poll intervals.
    await waitFor(async () => ((await connectionGroups(gateway)).length === 2 ? true : undefined), {
      timeoutMs: 3 * INTERVAL_MS + 5_000,
      what: 'caller and callee groups',
    });
    const firstAt = Date.now() - connectedAt;
    console.info(`[capture] both groups present ${firstAt} ms after the call connected (poll ${INTERVAL_MS} ms)`);
    expect(firstAt).toBeLessThan(3 * INTERVAL_MS + 1_000);

    const bitrate = (group: GatewayGroup, direction: string) =>
      group.families.webrtc_bitrate_bytes_per_second?.metrics.some((m) => m.labels.direction === direction);
    const groups = await waitFor(
      async () => {
        // One-way call: the callee receives, the caller sends and hears back (RTT from remote-inbound or the pair).
        const found = await connectionGroups(gateway);
        const callee = found.some((group) => bitrate(group, 'inbound') && group.families.webrtc_packet_loss_ratio);
        const caller = found.some((group) => bitrate(group, 'outbound') && group.families.webrtc_round_trip_time_seconds);
        return found.length === 2 && callee && caller ? found : undefined;
      },
      { timeoutMs: PUSH_INTERVAL_MS + 3 * INTERVAL_MS + 5_000, what: 'caller and callee groups with their quality windows' },
    );
    const elapsed = Date.now() - connectedAt;
    console.info(`[capture] both quality windows pushed ${elapsed} ms after the call connected (push ${PUSH_INTERVAL_MS} ms)`);
    expect(elapsed).toBeLessThan(PUSH_INTERVAL_MS + 3 * INTERVAL_MS + 1_000);

    const caller = groups.find((group) => bitrate(group, 'outbound'))!;
    const callee = groups.find((group) => bitrate(group, 'inbound'))!;
    const sample = caller.families.webrtc_bitrate_bytes_per_second!.metrics.find((m) => m.labels.direction === 'outbound')!;
    expect(sample.labels).toMatchObject({
      job: 'e2e',
      agent_id: 'agent-7',
      platform: 'custom',
      origin: pages.origin,
    });
    expect(['audio', 'video']).toContain(sample.labels.kind);
    expect(Number(sample.value)).toBeGreaterThan(0);
    // The connections of one page session share a call id; each has its own group id.
    expect(caller.labels.call_id).toMatch(/^[a-z0-9]{12}$/);
    expect(callee.labels.call_id).toBe(caller.labels.call_id);
    expect(callee.labels.peer_connection_id).not.toBe(caller.labels.peer_connection_id);
    expect(caller.families.webrtc_quality_class).toBeDefined();
    expect(caller.families.webrtc_connection_start_timestamp_seconds).toBeDefined();

    // Pushes follow the push interval, not the 1 s poll: no new push within 3 polls of the last.
    const pushedAt = pushTime(caller);
    await page.waitForTimeout(3 * INTERVAL_MS);
    const again = (await connectionGroups(gateway)).find((group) => group.labels.peer_connection_id === caller.labels.peer_connection_id)!;
    // The windows were found just after a push tick; the next is a push interval later (the old per-poll pushes would show here).
    expect(pushTime(again)).toBe(pushedAt);

    const text = await gateway.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('meeting-42');
    const webrtcLines = text.split('\n').filter((line) => line.startsWith('webrtc_'));
    // The quality profile: a handful of series per stream, a few per connection (docs/metrics.md).
    expect(webrtcLines.length).toBeGreaterThan(15);
    expect(webrtcLines.length).toBeLessThanOrEqual(60);
    for (const line of webrtcLines.map((l) => l.replace(`origin="${pages.origin}"`, 'origin="(test page)"'))) {
      // The test page itself is served from 127.0.0.1; no other address (candidates, relays) may appear.
      expect(line).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
      expect(line).not.toMatch(/[{,](address|ip|port|candidate_id|local_candidate_id|track_identifier)="/);
    }
  });

  it('deletes both groups within 2 intervals of hang-up (pc.close, which fires no state event)', async () => {
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    await waitFor(async () => (await connectionGroups(gateway)).length === 2, { timeoutMs: 10_000, what: 'two groups' });

    await page.evaluate(() => window.hangUp());
    const hungUpAt = Date.now();
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, {
      timeoutMs: 2 * INTERVAL_MS + 5_000,
      what: 'groups deleted after hang-up',
    });
    const elapsed = Date.now() - hungUpAt;
    console.info(`[capture] both groups deleted ${elapsed} ms after hang-up (interval ${INTERVAL_MS} ms)`);
    expect(elapsed).toBeLessThan(2 * INTERVAL_MS);
  });

  it('captures a connection made by the page’s very first inline script', async () => {
    await expectFirstInlineScriptCaptured(page, pages.pageUrl('early'), gateway);
  });

  it('captures a connection made inside a pristine about:blank iframe', async () => {
    await expectAboutBlankIframeCaptured(page, pages.pageUrl('iframe'), gateway);
  });

  it('stops pushing for an origin once capture is switched off there', async () => {
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    await waitFor(async () => (await connectionGroups(gateway)).length === 2, { timeoutMs: 10_000, what: 'two groups' });

    await askBackground(await extensionPage(browser), 'setOriginCapture', { origin: pages.origin, enabled: false });
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, { timeoutMs: 5_000, what: 'groups deleted' });
    const before = (await extensionHealth(browser)).delivery.pushesOk;
    await page.waitForTimeout(3 * INTERVAL_MS);
    expect(await connectionGroups(gateway)).toEqual([]);
    const health = await extensionHealth(browser);
    // Only the exporter's own group may have been refreshed meanwhile.
    expect(health.delivery.pushesOk - before).toBeLessThanOrEqual(1);
    expect(health.connections.total).toBe(0);
  });

  it('pushes exposition text that promtool accepts and types that agree across groups', async () => {
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall({ dataChannel: true }));
    await waitFor(async () => (await connectionGroups(gateway)).length === 2, { timeoutMs: 10_000, what: 'two groups' });
    // Wait for the windows, not only the first snapshots.
    await waitFor(async () => ((await connectionGroups(gateway)).every((group) => group.families.webrtc_quality_class) ? true : undefined), {
      timeoutMs: PUSH_INTERVAL_MS + 5_000,
      what: 'quality windows in both groups',
    });
    const groups = await connectionGroups(gateway);
    expect(groups.every((group) => group.lastPushSuccessful)).toBe(true);
    expect(groups.every((group) => pushTime(group) > 0)).toBe(true);
    const text = (await gateway.text())
      .split('\n')
      .filter((line) => !/^(# (HELP|TYPE) )?(push_time_seconds|push_failure_time_seconds|pushgateway_|go_|process_|promhttp_)/.test(line))
      .join('\n');
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // Clean: status 0 and not a word (3 would be lint remarks, 1 a parse error).
    expect({ status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('writes the older exporters’ metric names in the legacy profile', async () => {
    await configureExtension(browser, { ...baseSettings(), exportProfile: 'legacy' }, LOOPBACK);
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    const names = await waitFor(async () => {
      const all = new Set((await connectionGroups(gateway)).flatMap((group) => Object.keys(group.families)));
      return all.has('inbound_rtp_bytesReceived') && all.has('remote_inbound_rtp_roundTripTime') ? all : undefined;
      // The first push goes at once, maybe before inbound-rtp exists; the next at the push interval.
    }, { timeoutMs: PUSH_INTERVAL_MS + 5_000, what: 'legacy names' });
    for (const name of ['inbound_rtp_bytesReceived', 'outbound_rtp_framesPerSecond', 'remote_inbound_rtp_roundTripTime', 'peer_connection_timestamp']) {
      expect(names).toContain(name);
    }
    const group = (await connectionGroups(gateway)).find((g) => g.families.inbound_rtp_bytesReceived)!;
    expect(group.families.inbound_rtp_bytesReceived!.type).toBe('GAUGE');
    expect(group.families.inbound_rtp_bytesReceived!.metrics[0]!.labels.pageUrl).toBe(pages.origin);
  });
});
