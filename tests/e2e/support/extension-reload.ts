import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page, Worker } from 'playwright-core';
import type { ChromiumHarness, WorkerGlobals } from './chromium';

/**
 * A fresh Chromium profile with developer mode switched on. Without it, Chromium (137+)
 * disables an unpacked extension that calls `chrome.runtime.reload()` instead of reloading it
 * (DISABLE_UNSUPPORTED_DEVELOPER_EXTENSION); with it, reload works like an update. The caller
 * removes the directory after closing the browser.
 */
export function developerModeProfile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-devmode-'));
  fs.mkdirSync(path.join(dir, 'Default'));
  fs.writeFileSync(path.join(dir, 'Default', 'Preferences'), JSON.stringify({ extensions: { ui: { developer_mode: true } } }));
  return dir;
}

/**
 * Reloads the extension from its own worker (`chrome.runtime.reload()`, which Chromium treats as
 * an update: onInstalled fires with reason 'update') and resolves with the new worker once
 * Playwright sees it. The harness's `serviceWorker` and `evalInWorker` use the new one after that.
 */
export async function reloadExtension(browser: ChromiumHarness, timeoutMs = 30_000): Promise<Worker> {
  const next = browser.context.waitForEvent('serviceworker', {
    predicate: (worker) => worker.url().startsWith(browser.extensionUrl('')),
    timeout: timeoutMs,
  });
  await browser.evalInWorker(() => {
    // Later, so this evaluation can answer before the worker goes away.
    setTimeout(() => (globalThis as unknown as WorkerGlobals).chrome.runtime.reload(), 20);
    return true;
  });
  return next;
}

/**
 * Counts calls of `RTCPeerConnection.prototype.getStats` in every page of the context. Playwright's
 * init scripts run before the MAIN-world content script at document_start (checked by the test:
 * no hook answers its probe event when the counter installs), so the hook captures the counting
 * wrapper as its "native" getStats and every poll of the hook is counted; the test pages never
 * call getStats() themselves.
 */
export async function countGetStatsCalls(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __getStatsCalls: number; __hookBeforeCounter: boolean };
    const proto = RTCPeerConnection.prototype;
    const native = proto.getStats;
    w.__getStatsCalls = 0;
    // A running hook cancels this event (PROBE_EVENT in utils/webrtc/page-channel.ts).
    w.__hookBeforeCounter = !window.dispatchEvent(new CustomEvent('webrtc-stats-exporter/page/probe', { cancelable: true }));
    proto.getStats = function (this: RTCPeerConnection, ...args: unknown[]) {
      w.__getStatsCalls += 1;
      return (native as (...a: unknown[]) => Promise<RTCStatsReport>).apply(this, args);
    } as typeof proto.getStats;
  });
}

/** getStats() calls counted so far in `page`, and whether the hook was there before the counter. */
export async function getStatsCalls(page: Page): Promise<{ calls: number; hookBeforeCounter: boolean }> {
  return page.evaluate(() => {
    const w = window as unknown as { __getStatsCalls: number; __hookBeforeCounter: boolean };
    return { calls: w.__getStatsCalls, hookBeforeCounter: w.__hookBeforeCounter };
  });
}

/** Bytes the extension keeps in storage.session and storage.local. */
export async function storageBytes(browser: ChromiumHarness): Promise<{ session: number; local: number; sync: number }> {
  return browser.evalInWorker(async () => {
    const { chrome } = globalThis as unknown as WorkerGlobals;
    const [session, local, sync] = await Promise.all([
      chrome.storage.session.getBytesInUse(null),
      chrome.storage.local.getBytesInUse(null),
      chrome.storage.sync.getBytesInUse(null),
    ]);
    return { session, local, sync };
  });
}
