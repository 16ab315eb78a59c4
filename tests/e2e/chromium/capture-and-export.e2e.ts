import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
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
    [gateway, pages] = await Promise.all([startPushgateway({ adminApi: true }), startCallPageServer()]);
    browser = await launchChromium();
    await configureExtension(browser, baseSettings(), LOOPBACK);
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await gateway?.stop();
  });

  beforeEach(async () => {
    await page?.close();
    await configureExtension(browser, baseSettings(), LOOPBACK);
    await gateway.wipe();
    page = await browser.context.newPage();
  });

  it('exports both peer connections of a call within 3 intervals, with the right labels and no query string', async () => {
    await page.goto(pages.pageUrl('call', { id: 'meeting-42', secret: 'hunter2' }));
    await page.evaluate(() => window.startCall());
    const connectedAt = Date.now();

    const groups = await waitFor(
      async () => {
        // One-way call: the callee receives (inbound-rtp), the caller sends and hears back (outbound, remote-inbound).
        const found = await connectionGroups(gateway);
        const callee = found.some((group) => group.families.webrtc_inbound_rtp_packets_received_total);
        const caller = found.some(
          (group) =>
            group.families.webrtc_outbound_rtp_bytes_sent_total &&
            group.families.webrtc_remote_inbound_rtp_round_trip_time_seconds,
        );
        return found.length === 2 && callee && caller ? found : undefined;
      },
      { timeoutMs: 3 * INTERVAL_MS + 5_000, what: 'caller and callee groups with inbound, outbound and remote-inbound families' },
    );
    // 3 intervals, plus 1 s for the first push's round trip and polling on a loaded 2-core machine.
    const elapsed = Date.now() - connectedAt;
    console.info(`[capture] both groups complete ${elapsed} ms after the call connected (interval ${INTERVAL_MS} ms)`);
    expect(elapsed).toBeLessThan(3 * INTERVAL_MS + 1_000);

    const caller = groups.find((group) => group.families.webrtc_outbound_rtp_bytes_sent_total);
    expect(caller?.families.webrtc_remote_inbound_rtp_round_trip_time_seconds).toBeDefined();
    const sample = caller!.families.webrtc_outbound_rtp_bytes_sent_total!.metrics[0]!;
    expect(sample.labels).toMatchObject({
      job: 'e2e',
      agent_id: 'agent-7',
      platform: 'custom',
      origin: pages.origin,
    });
    expect(['audio', 'video']).toContain(sample.labels.kind);

    const text = await gateway.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('meeting-42');
    const webrtcLines = text.split('\n').filter((line) => line.startsWith('webrtc_'));
    expect(webrtcLines.length).toBeGreaterThan(50);
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
    await page.waitForTimeout(2 * INTERVAL_MS);
    const groups = await connectionGroups(gateway);
    expect(groups.every((group) => group.lastPushSuccessful)).toBe(true);
    expect(groups.every((group) => pushTime(group) > 0)).toBe(true);
    const text = (await gateway.text())
      .split('\n')
      .filter((line) => !/^(# (HELP|TYPE) )?(push_time_seconds|push_failure_time_seconds|pushgateway_|go_|process_|promhttp_)/.test(line))
      .join('\n');
    const output = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(output).toBe('');
  });

  it('writes the older exporters’ metric names in legacy naming mode', async () => {
    await configureExtension(browser, { ...baseSettings(), namingMode: 'legacy' }, LOOPBACK);
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    const names = await waitFor(async () => {
      const all = new Set((await connectionGroups(gateway)).flatMap((group) => Object.keys(group.families)));
      return all.has('inbound_rtp_bytesReceived') && all.has('remote_inbound_rtp_roundTripTime') ? all : undefined;
    }, { timeoutMs: 10_000, what: 'legacy names' });
    for (const name of ['inbound_rtp_bytesReceived', 'outbound_rtp_framesPerSecond', 'remote_inbound_rtp_roundTripTime', 'peer_connection_timestamp']) {
      expect(names).toContain(name);
    }
    const group = (await connectionGroups(gateway)).find((g) => g.families.inbound_rtp_bytesReceived)!;
    expect(group.families.inbound_rtp_bytesReceived!.type).toBe('GAUGE');
    expect(group.families.inbound_rtp_bytesReceived!.metrics[0]!.labels.pageUrl).toBe(pages.origin);
  });
});
