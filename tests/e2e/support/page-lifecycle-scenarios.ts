import fs from 'node:fs';
import ts from 'typescript';
import { expect } from 'vitest';
import { waitFor } from './free-port';
import { connectionGroups, extensionHealth, pushTime } from './exporter-control';
import type { CallRig } from './call-rig';
import type { CallPageServer } from './call-page-server';
import type { GatewayGroup, Pushgateway } from './pushgateway';
import type { Health } from '../../../utils/messaging/health';

/**
 * Issue 10's page-lifecycle and hostile-page scenarios, one body each, run by the Chromium
 * (playwright-core) and the Firefox (puppeteer-core) files alike: navigation and reload delete
 * the document's groups within 2 s, the hook adds no global binding, a page forging WXT's start
 * event or replacing built-ins does not stop capture, forged reports displace nothing.
 */

/** Issue 10 item 1: groups of a navigated or reloaded document are deleted within this. */
export const NAVIGATION_DELETE_MS = 2_000;

/** What the scenarios need of a tab; a playwright and a puppeteer Page both are one. */
export interface LifecyclePage {
  goto(url: string): Promise<unknown>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}

/** The browser-independent parts of a run: where groups go, the call pages, and the extension's health. */
export interface LifecycleRig {
  gateway: Pushgateway;
  pages: CallPageServer;
  /** The extension's id as its content scripts see it (`browser.runtime.id`): WXT's event names carry it. */
  extensionId: string;
  health(): Promise<Health>;
  /** The poll interval the extension is configured with, in ms. */
  intervalMs: number;
}

/** The rig of a Chromium file started with startCallRig. */
export function chromiumLifecycleRig({ gateway, pages, browser }: CallRig, intervalMs: number): LifecycleRig {
  return { gateway, pages, extensionId: browser.extensionId, health: () => extensionHealth(browser), intervalMs };
}

/** The grouping id the background gave a connection's group. */
export function groupIdOf(group: GatewayGroup): string {
  return group.labels.peer_connection_id ?? '';
}

async function groupIds(gateway: Pushgateway): Promise<string[]> {
  return (await connectionGroups(gateway)).map(groupIdOf).sort();
}

/** Waits until the gateway holds exactly `count` connection groups; returns their ids. */
export async function waitForGroupCount(gateway: Pushgateway, count: number, what: string, timeoutMs = 20_000): Promise<string[]> {
  return waitFor(async () => {
    const ids = await groupIds(gateway);
    return ids.length === count ? ids : undefined;
  }, { timeoutMs, what });
}

/** Opens the call page, starts its two-connection call and returns the ids of the call's two groups. */
export async function startCallGroups(page: LifecyclePage, rig: LifecycleRig, url = rig.pages.pageUrl('call')): Promise<string[]> {
  await page.goto(url);
  await page.evaluate(() => window.startCall().then(() => undefined));
  return waitForGroupCount(rig.gateway, 2, 'the two groups of the call');
}

/** Waits until none of `ids` is in the gateway (polling every 50 ms); returns the ms since `since`. */
async function msUntilGone(gateway: Pushgateway, ids: string[], since: number, what: string): Promise<number> {
  await waitFor(async () => {
    const present = await groupIds(gateway);
    return ids.every((id) => !present.includes(id));
  }, { timeoutMs: 30_000, intervalMs: 50, what });
  return Date.now() - since;
}

/** Waits until the reloaded call page can start a call again (its scripts ran). */
async function callPageReady(page: LifecyclePage): Promise<void> {
  await waitFor(
    () => page.evaluate(() => document.readyState === 'complete' && typeof window.startCall === 'function').catch(() => false),
    { timeoutMs: 15_000, what: 'the reloaded call page' },
  );
}

/**
 * location.reload() during a call: the old call's groups are gone within 2 s, the new call is
 * exported once, and two intervals later nothing of the old document came back.
 */
export async function expectReloadDeletesOldGroups(page: LifecyclePage, rig: LifecycleRig, label: string): Promise<void> {
  const before = await startCallGroups(page, rig);
  const reloadedAt = Date.now();
  // The document that runs this is gone before it can answer: a rejected evaluate is expected.
  await page.evaluate(() => setTimeout(() => location.reload(), 0)).catch(() => undefined);
  const elapsed = await msUntilGone(rig.gateway, before, reloadedAt, 'old groups deleted after reload');
  console.info(`[navigation] ${label}: old groups deleted ${elapsed} ms after location.reload()`);
  expect(elapsed).toBeLessThan(NAVIGATION_DELETE_MS);

  await callPageReady(page);
  await page.evaluate(() => window.startCall().then(() => undefined));
  const after = await waitForGroupCount(rig.gateway, 2, 'the new call’s two groups');
  expect(after.some((id) => before.includes(id))).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 2 * rig.intervalMs));
  expect(await groupIds(rig.gateway)).toEqual(after);
}

/** Where a tab can go from a call: a same-origin page, another origin. */
export const NAVIGATION_TARGETS = [
  ['a same-origin page', (pages: CallPageServer) => pages.pageUrl('datachannel')],
  ['a missing same-origin page (404)', (pages: CallPageServer) => `${pages.origin}/missing-page`],
  ['another origin', () => 'about:blank'],
] as const;

/**
 * Navigating the tab away during a call deletes the call's groups within 2 s, and two intervals
 * later none of them came back (a late report of the left document must not recreate one).
 */
export async function expectNavigationDeletesGroups(
  page: LifecyclePage,
  rig: LifecycleRig,
  target: string,
  label: string,
): Promise<void> {
  const before = await startCallGroups(page, rig);
  const navigatedAt = Date.now();
  await page.goto(target);
  const elapsed = await msUntilGone(rig.gateway, before, navigatedAt, 'groups deleted after navigation');
  console.info(`[navigation] ${label}: groups deleted ${elapsed} ms after navigating to ${target}`);
  expect(elapsed).toBeLessThan(NAVIGATION_DELETE_MS);
  await new Promise((resolve) => setTimeout(resolve, 2 * rig.intervalMs));
  expect((await groupIds(rig.gateway)).filter((id) => before.includes(id))).toEqual([]);
}

/** Every name a built bundle declares at its top level (var, let, const, function, class). */
export function topLevelNames(file: string): string[] {
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

/**
 * Issue 10 item 3: a page whose own script declares (let, const, class) every top-level name of
 * the built hook.js, and hook, main, definition, relay, runs, and the hook still wraps
 * RTCPeerConnection. The built bundle itself declares nothing at top level.
 */
export async function expectNoGlobalBinding(page: LifecyclePage, rig: LifecycleRig, hookFile: string, label: string): Promise<void> {
  const built = topLevelNames(hookFile);
  console.info(`[hardening] ${label}: top-level names of the built hook.js: ${JSON.stringify(built)}`);
  const names = [...new Set(['hook', 'main', 'definition', 'relay', ...built])];
  // One fresh document per kind: a name can be declared only once in a page's global scope.
  for (const kind of ['let', 'const', 'class'] as const) {
    await page.goto(rig.pages.pageUrl('call'));
    const outcome = await page.evaluate(
      ([declare, declared]: readonly [string, string[]]) => {
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
}

/** Waits until every one of `groups` was pushed again after its push time now. */
async function pushedAgainAfter(rig: LifecycleRig, groups: GatewayGroup[], what: string): Promise<void> {
  const ids = groups.map(groupIdOf);
  const since = Math.max(...groups.map(pushTime));
  await waitFor(async () => {
    const now = (await connectionGroups(rig.gateway)).filter((group) => ids.includes(groupIdOf(group)));
    return now.length === ids.length && now.every((group) => pushTime(group) > since);
  }, { timeoutMs: 8 * rig.intervalMs + 5_000, what });
}

/** The call's two groups, once both were pushed. */
export async function callGroupsNow(gateway: Pushgateway): Promise<GatewayGroup[]> {
  return waitFor(async () => {
    const found = await connectionGroups(gateway);
    return found.length === 2 ? found : undefined;
  }, { timeoutMs: 20_000, what: 'the call’s two groups' });
}

/**
 * Issue 10 item 4: the page forges WXT's content-script-started event and replaces
 * dispatchEvent, addEventListener, CustomEvent, postMessage, structuredClone and JSON.stringify
 * with throwing functions; the call's groups are still pushed, a connection made afterwards is
 * still captured, and health counts the forgery (`page-forged-invalidation`).
 */
export async function expectForgeryDoesNotStopCapture(page: LifecyclePage, rig: LifecycleRig): Promise<void> {
  const before = await rig.health();
  await page.goto(rig.pages.pageUrl('call'));
  await page.evaluate(() => window.startCall().then(() => undefined));
  const groups = await callGroupsNow(rig.gateway);
  await page.evaluate((extensionId: string) => {
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
  }, rig.extensionId);
  await pushedAgainAfter(rig, groups, 'the call’s groups pushed again after the forgery');
  // A connection created after the forgery is still captured.
  await page.evaluate(() => window.startCall().then(() => undefined));
  await waitForGroupCount(rig.gateway, 4, 'the second call’s groups too');
  // The forgery did reach the relay (WXT's context aborted): counted, and reported with the relay's drops.
  await waitFor(async () => {
    const health = await rig.health();
    return (health.drops['page-forged-invalidation'] ?? 0) > (before.drops['page-forged-invalidation'] ?? 0);
  }, { timeoutMs: 15_000, intervalMs: 500, what: 'page-forged-invalidation in health' });
}

/**
 * Issue 10 item 5: 4,000 forged hookReports on every page channel name a page can know or guess,
 * in both detail shapes: no forged group, and the call's two groups are neither displaced nor stopped.
 */
export async function expectForgedReportsEvictNothing(page: LifecyclePage, rig: LifecycleRig): Promise<void> {
  await page.goto(rig.pages.pageUrl('call'));
  await page.evaluate(() => window.startCall().then(() => undefined));
  const groups = await callGroupsNow(rig.gateway);
  const forged = await page.evaluate(() => {
    const report = (pcId: string, seq: number) => ({
      event: 'stats', pcId, seq, state: 'connected',
      stats: [{ id: 'IT01', type: 'inbound-rtp', timestamp: Date.now(), kind: 'audio', ssrc: 1, bytesReceived: seq, packetsLost: 0, jitter: 0.001 }],
    });
    let sent = 0;
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
  await pushedAgainAfter(rig, groups, 'the call’s groups pushed again after the forged flood');
  const after = await connectionGroups(rig.gateway);
  expect(after.map(groupIdOf).sort()).toEqual(groups.map(groupIdOf).sort());
  expect((await rig.health()).connections.total).toBe(2);
}
