import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from 'playwright-core';
import { type ChromiumHarness } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups, pushTime } from '../support/exporter-control';

const INTERVAL_MS = 1_000;
const LOOPBACK = 'http://127.0.0.1/*';
const FLOOD_FRAMES = 8;
const FLOOD_MS = 12_000;
const QUIET_MS = 8_000;

declare global {
  interface Window {
    floodTimer?: ReturnType<typeof setInterval>;
  }
}

/** Starts sending full, valid-looking 4,000-stats batches on the page channel every 5 ms from `frame`. */
async function startFlood(frame: Frame, tag: string): Promise<void> {
  await frame.evaluate((prefix) => {
    const stats = Array.from({ length: 40 }, (_, i) => ({
      id: `IT${i}`, type: 'inbound-rtp', timestamp: Date.now(), kind: 'audio', ssrc: i, bytesReceived: 1_000, packetsLost: 0, jitter: 0.001,
    }));
    let seq = 0;
    window.floodTimer = setInterval(() => {
      seq += 1;
      const batch = Array.from({ length: 100 }, (_, i) => ({ event: 'stats', pcId: `${prefix}-${i}`, seq, state: 'connected', stats }));
      window.abuse.forge('hookReports', batch);
    }, 5);
  }, tag);
}

/** Samples the groups' push times for `durationMs`; the largest gap between two pushes of a group (or since its last push). */
async function largestPushGap(groupIds: string[], durationMs: number): Promise<number> {
  const lastChange = new Map<string, { at: number; push: number }>();
  let maxGapMs = 0;
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    const groups = await gateway.metrics();
    const at = Date.now();
    for (const id of groupIds) {
      const group = groups.find((g) => g.labels.peer_connection_id === id);
      const push = group ? pushTime(group) : 0;
      const seen = lastChange.get(id);
      if (!seen || push !== seen.push) {
        if (seen) maxGapMs = Math.max(maxGapMs, at - seen.at);
        lastChange.set(id, { at, push });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A group that stopped pushing altogether counts up to the end.
  for (const seen of lastChange.values()) maxGapMs = Math.max(maxGapMs, Date.now() - seen.at);
  return maxGapMs;
}

let gateway: Pushgateway;

describe('a flooding tab and a calling tab in Chromium', () => {
  let pages: CallPageServer;
  let browser: ChromiumHarness;

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
    await configureExtension(
      browser,
      { gateway: { url: gateway.url, job: 'e2e' }, customOrigins: [LOOPBACK], intervalMs: INTERVAL_MS, pushIntervalMs: INTERVAL_MS, agentId: 'agent-flood' },
      LOOPBACK,
    );
  });

  afterAll(async () => {
    await stopCallRig({ browser, pages, gateway });
  });

  it('keeps the calling tab’s pushes going, at most one interval late, while another tab floods from every frame', async () => {
    const call = await browser.context.newPage();
    await call.goto(pages.pageUrl('call'));
    await call.evaluate(() => window.startCall());
    const callGroups = await waitFor(async () => {
      const found = await connectionGroups(gateway);
      return found.length === 2 ? found.map((group) => group.labels.peer_connection_id!) : undefined;
    }, { timeoutMs: 15_000, what: 'the call’s two groups' });

    // The same measurement without a flood first (after the call's start-up, whose first windows
    // are pushed irregularly): on a loaded machine the gap is above one interval by itself.
    await call.waitForTimeout(5 * INTERVAL_MS);
    const quiet = await largestPushGap(callGroups, QUIET_MS);

    const hostile = await browser.context.newPage();
    await hostile.goto(pages.pageUrl('abuse'));
    await hostile.evaluate(async (count) => {
      await Promise.all(Array.from({ length: count }, (_, i) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        frame.src = `/abuse.html?frame=${i}`;
        frame.onload = resolve;
        document.body.append(frame);
      })));
    }, FLOOD_FRAMES);
    const frames = hostile.frames();
    expect(frames.length).toBe(FLOOD_FRAMES + 1);
    await Promise.all(frames.map((frame, i) => startFlood(frame, `flood${i}`)));

    const flooded = await largestPushGap(callGroups, FLOOD_MS);
    await Promise.all(hostile.frames().map((frame) => frame.evaluate(() => clearInterval(window.floodTimer)).catch(() => undefined)));
    console.info(
      `[flood] largest gap between two pushes of the calling tab's groups: ${quiet} ms without flood, ${flooded} ms during a ${FLOOD_MS} ms flood from ${FLOOD_FRAMES + 1} frames (interval ${INTERVAL_MS} ms)`,
    );
    // Target (issue 10 item 10): at most one interval more than without the flood. Measured on 2
    // cores: 7,861 ms before the cheap checks (load 24-28); with the cheap checks first and the
    // relay's per-frame batch budget, 1,041-1,056 ms during the flood on an idle machine.
    expect(flooded).toBeLessThanOrEqual(quiet + INTERVAL_MS);
    await hostile.close();
    await call.close();
  });
});
