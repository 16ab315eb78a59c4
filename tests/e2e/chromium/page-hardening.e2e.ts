import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROME_BUILD_DIR, type ChromiumHarness } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type Pushgateway } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups, extensionHealth } from '../support/exporter-control';
import {
  expectForgedReportsEvictNothing,
  expectForgeryDoesNotStopCapture,
  expectNoGlobalBinding,
  callGroupsNow,
  chromiumLifecycleRig,
} from '../support/page-lifecycle-scenarios';

const INTERVAL_MS = 1_000;
const LOOPBACK = 'http://127.0.0.1/*';

describe('page hardening: a hostile or sloppy page cannot break capture silently (Chromium)', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let page: Page;

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
    await configureExtension(browser, { gateway: { url: gateway.url, job: 'e2e' }, customOrigins: [LOOPBACK], intervalMs: INTERVAL_MS }, LOOPBACK);
  });

  afterAll(async () => {
    await stopCallRig({ browser, pages, gateway });
  });

  beforeEach(async () => {
    await page?.close();
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, { timeoutMs: 15_000, what: 'groups of the previous test deleted' });
    await gateway.wipe();
    page = await browser.context.newPage();
  });

  const rig = () => chromiumLifecycleRig({ gateway, pages, browser }, INTERVAL_MS);

  it('adds no global binding: a page declaring let/const/class for every top-level name of hook.js (and hook, main, definition) runs', async () => {
    await expectNoGlobalBinding(page, rig(), path.join(CHROME_BUILD_DIR, 'content-scripts', 'hook.js'), 'Chromium');
  });

  it('exports the call of a page that leaked 300 never-connected connections first, and health counts the hook’s poll-cap drops', async () => {
    const before = await extensionHealth(browser);
    await page.goto(pages.pageUrl('call'));
    const leaked = await page.evaluate(() => {
      const idle: RTCPeerConnection[] = [];
      for (let i = 0; i < 300; i++) idle.push(new RTCPeerConnection());
      (window as unknown as { leaked: RTCPeerConnection[] }).leaked = idle;
      return idle.length;
    });
    expect(leaked).toBe(300);
    await page.evaluate(() => window.startCall());
    const startedAt = Date.now();
    // The call's two connections reach the gateway (each with RTP stats), whatever else the tab tracks.
    const callGroupsFound = await waitFor(async () => {
      const found = (await connectionGroups(gateway)).filter((group) => group.families.webrtc_inbound_rtp_bytes_received_total || group.families.webrtc_outbound_rtp_bytes_sent_total || group.families.webrtc_bitrate_bytes_per_second);
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 20_000, what: 'the call’s groups, with RTP series' });
    console.info(`[hardening] 300 idle connections + call: ${callGroupsFound.length} groups with RTP series ${Date.now() - startedAt} ms after the call connected`);
    const drops = await waitFor(async () => {
      const health = await extensionHealth(browser);
      const counted = (health.drops['page-hook-connection-limit'] ?? 0) - (before.drops['page-hook-connection-limit'] ?? 0);
      return counted > 0 ? health.drops : undefined;
    }, { timeoutMs: 20_000, what: 'page-hook-connection-limit in health' });
    console.info(`[hardening] health drops after the leak: page-hook-connection-limit ${drops['page-hook-connection-limit']}`);
    await page.evaluate(() => {
      window.hangUp();
      for (const pc of (window as unknown as { leaked: RTCPeerConnection[] }).leaked) pc.close();
    });
  });

  it('keeps capturing after the page forges WXT’s content-script-started event and replaces dispatchEvent, CustomEvent, JSON.stringify, structuredClone, postMessage and addEventListener', async () => {
    await expectForgeryDoesNotStopCapture(page, rig());
  });

  it('shows in health a page that breaks what the hook still relies on (a throwing Object.prototype.toJSON): page-hook-silent', async () => {
    const before = await extensionHealth(browser);
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    await callGroupsNow(gateway);
    await page.evaluate(() => {
      Object.defineProperty(Object.prototype, 'toJSON', { value: () => { throw new Error('no JSON here'); }, configurable: true });
    });
    const since = Date.now();
    await waitFor(async () => {
      const health = await extensionHealth(browser);
      return (health.drops['page-hook-silent'] ?? 0) > (before.drops['page-hook-silent'] ?? 0);
    }, { timeoutMs: 45_000, intervalMs: 1_000, what: 'page-hook-silent in health' });
    console.info(`[hardening] hook silence shown in health ${Date.now() - since} ms after the page broke JSON`);
    await page.evaluate(() => delete (Object.prototype as { toJSON?: unknown }).toJSON);
  });

  it('ignores forged hookReports on the page: no forged group, the call’s groups are neither displaced nor stopped', async () => {
    await expectForgedReportsEvictNothing(page, rig());
  });

  it('leaves no cheap fingerprint: no marker on window, and the wrapped constructor and close() print as native code', async () => {
    await page.goto(pages.pageUrl('call'));
    const seen = await page.evaluate(() => {
      const print = (fn: unknown) => Function.prototype.toString.call(fn);
      return {
        symbols: Object.getOwnPropertySymbols(window).map((symbol) => Symbol.keyFor(symbol) ?? String(symbol)),
        constructor: print(RTCPeerConnection),
        close: print(RTCPeerConnection.prototype.close),
        toString: print(Function.prototype.toString),
        hookGlobal: 'hook' in window,
        // Documented, not hidden: what a constructor error's stack shows.
        stack: (() => {
          try {
            new RTCPeerConnection({ iceServers: [{ urls: 'not-a-url' }] });
            return '';
          } catch (error) {
            return String((error as Error).stack);
          }
        })(),
      };
    });
    expect(seen.symbols.filter((key) => key.includes('webrtc'))).toEqual([]);
    expect(seen.constructor).toBe('function RTCPeerConnection() { [native code] }');
    expect(seen.close).toBe('function close() { [native code] }');
    expect(seen.toString).toBe('function toString() { [native code] }');
    expect(seen.hookGlobal).toBe(false);
    console.info(`[hardening] a constructor error's stack as the page sees it: ${JSON.stringify(seen.stack)}`);
  });
});
