import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROME_BUILD_DIR, type ChromiumHarness } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type Pushgateway, type GatewayGroup } from '../support/pushgateway';
import { waitFor } from '../support/free-port';
import { configureExtension, connectionGroups, extensionHealth, pushTime } from '../support/exporter-control';

const INTERVAL_MS = 1_000;
const LOOPBACK = 'http://127.0.0.1/*';
const groupId = (group: GatewayGroup) => group.labels.peer_connection_id ?? '';

/** Every name the built MAIN-world bundle declares at its top level (var, let, const, function, class). */
function topLevelNames(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      names.push(statement.name.text);
    }
  }
  return names;
}

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

  /** The call's two groups, once both were pushed. */
  async function callGroups(): Promise<GatewayGroup[]> {
    return waitFor(async () => {
      const found = await connectionGroups(gateway);
      return found.length === 2 ? found : undefined;
    }, { timeoutMs: 20_000, what: 'the call’s two groups' });
  }

  async function pushedAgainAfter(groups: GatewayGroup[], what: string): Promise<void> {
    const ids = groups.map(groupId);
    const since = Math.max(...groups.map(pushTime));
    await waitFor(async () => {
      const now = (await connectionGroups(gateway)).filter((group) => ids.includes(groupId(group)));
      return now.length === ids.length && now.every((group) => pushTime(group) > since);
    }, { timeoutMs: 8 * INTERVAL_MS + 5_000, what });
  }

  it('adds no global binding: a page declaring let/const/class for every top-level name of hook.js (and hook, main, definition) runs', async () => {
    const built = topLevelNames(path.join(CHROME_BUILD_DIR, 'content-scripts', 'hook.js'));
    console.info(`[hardening] top-level names of the built hook.js: ${JSON.stringify(built)}`);
    const names = [...new Set(['hook', 'main', 'definition', 'relay', ...built])];
    // One fresh document per kind: a name can be declared only once in a page's global scope.
    for (const kind of ['let', 'const', 'class'] as const) {
      await page.goto(pages.pageUrl('call'));
      const outcome = await page.evaluate(
        ([declare, declared]) => {
          const errors: string[] = [];
          const onError = (event: ErrorEvent) => errors.push(String(event.message));
          window.addEventListener('error', onError);
          const script = document.createElement('script');
          const lines = declared.map((name) => (declare === 'class' ? `class ${name} {}` : `${declare} ${name} = 1;`));
          script.textContent = `${lines.join('\n')}\nwindow.__declaredAll = true;`;
          document.head.append(script);
          window.removeEventListener('error', onError);
          // The hook still works: RTCPeerConnection is wrapped and usable.
          const pc = new RTCPeerConnection();
          pc.close();
          return { ran: (window as unknown as { __declaredAll?: boolean }).__declaredAll === true, errors };
        },
        [kind, names] as const,
      );
      expect(outcome, `${kind} declarations`).toEqual({ ran: true, errors: [] });
    }
    expect(built).toEqual([]);
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
      const found = (await connectionGroups(gateway)).filter((group) => group.families.webrtc_inbound_rtp_bytes_received_total || group.families.webrtc_outbound_rtp_bytes_sent_total || group.families.webrtc_bitrate_bits_per_second);
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
    const before = await extensionHealth(browser);
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    const groups = await callGroups();
    await page.evaluate((extensionId) => {
      // What a page can learn and forge: WXT's event, under every plausible name.
      for (const name of [`${extensionId}:relay:wxt:content-script-started`, `${extensionId}:hook:wxt:content-script-started`]) {
        document.dispatchEvent(new CustomEvent(name, { detail: { contentScriptName: 'relay', messageId: 'forged' } }));
      }
      const boom = () => {
        throw new Error('blocked by the page');
      };
      EventTarget.prototype.dispatchEvent = boom;
      EventTarget.prototype.addEventListener = boom;
      window.dispatchEvent = boom;
      window.CustomEvent = boom as unknown as typeof CustomEvent;
      window.postMessage = boom;
      window.structuredClone = boom;
      JSON.stringify = boom;
    }, browser.extensionId);
    await pushedAgainAfter(groups, 'the call’s groups pushed again after the forgery');
    // A connection created after the forgery is still captured.
    await page.evaluate(() => window.startCall());
    await waitFor(async () => (await connectionGroups(gateway)).length === 4, { timeoutMs: 20_000, what: 'the second call’s groups too' });
    // The forgery did reach the relay (WXT's context aborted): counted, and reported with the relay's drops.
    await waitFor(async () => {
      const health = await extensionHealth(browser);
      return (health.drops['page-forged-invalidation'] ?? 0) > (before.drops['page-forged-invalidation'] ?? 0);
    }, { timeoutMs: 15_000, intervalMs: 500, what: 'page-forged-invalidation in health' });
  });

  it('shows in health a page that breaks what the hook still relies on (a throwing Object.prototype.toJSON): page-hook-silent', async () => {
    const before = await extensionHealth(browser);
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    await callGroups();
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
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    const groups = await callGroups();
    const forged = await page.evaluate(() => {
      const report = (pcId: string, seq: number) => ({
        event: 'stats', pcId, seq, state: 'connected',
        stats: [{ id: 'IT01', type: 'inbound-rtp', timestamp: Date.now(), kind: 'audio', ssrc: 1, bytesReceived: seq, packetsLost: 0, jitter: 0.001 }],
      });
      let sent = 0;
      // Every channel name a page can know or guess, in both detail shapes.
      const names = ['webrtc-stats-exporter/page/hello', 'webrtc-stats-exporter/page/offer', 'webrtc-stats-exporter/page/up', '@webext-core/messaging/custom-events'];
      for (let i = 0; i < 500; i++) {
        const batch = [report(`forged-${i}`, 1)];
        for (const name of names) {
          window.dispatchEvent(new CustomEvent(name, { detail: JSON.stringify({ t: 'hookReports', id: i, d: batch }) }));
          window.dispatchEvent(new CustomEvent(name, { detail: { namespace: 'webrtc-stats-exporter/page', message: { id: i, type: 'hookReports', data: batch, timestamp: Date.now() } } }));
          sent += 2;
        }
      }
      return sent;
    });
    expect(forged).toBe(4_000);
    await pushedAgainAfter(groups, 'the call’s groups pushed again after the forged flood');
    const after = await connectionGroups(gateway);
    expect(after.map(groupId).sort()).toEqual(groups.map(groupId).sort());
    expect((await extensionHealth(browser)).connections.total).toBe(2);
  });

  it('deletes the groups of a document the tab navigates away from within 2 s (the hook’s pagehide ended reports leave at once)', async () => {
    await page.goto(pages.pageUrl('call'));
    await page.evaluate(() => window.startCall());
    await callGroups();
    const navigatedAt = Date.now();
    await page.goto(`${pages.origin}/missing-page`);
    await waitFor(async () => (await connectionGroups(gateway)).length === 0, { timeoutMs: 10_000, intervalMs: 100, what: 'groups deleted after navigation' });
    const tookMs = Date.now() - navigatedAt;
    console.info(`[hardening] navigation: groups deleted ${tookMs} ms after the tab navigated`);
    expect(tookMs).toBeLessThan(2_000);
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
