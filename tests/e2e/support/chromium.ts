import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page, type Worker } from 'playwright-core';
import type { WxtBrowser as ExtensionBrowser } from 'wxt/browser';
import { waitFor } from './free-port';

/**
 * The extension API object as code run in the worker sees it. Chromium has no `browser` global,
 * so functions passed to `evalInWorker` use `(globalThis as unknown as WorkerGlobals).chrome`.
 */
export interface WorkerGlobals {
  chrome: ExtensionBrowser;
}

/** Where `wxt build` puts the Chromium build. */
export const CHROME_BUILD_DIR = path.resolve(process.env.WXT_OUT_DIR ?? '.output', 'chrome-mv3');

export interface LaunchChromiumOptions {
  /** Unpacked extension directory. Default `.output/chrome-mv3`. */
  extensionDir?: string;
  /** Profile directory; a fresh temp dir (removed on close) when omitted. */
  userDataDir?: string;
  /** Also open a DevTools port (not needed by these helpers; for manual inspection). */
  remoteDebuggingPort?: number;
  /** Headless (default true). */
  headless?: boolean;
  /** Extra command-line flags. */
  args?: string[];
  /**
   * Let Playwright close the browser on SIGINT/SIGTERM/SIGHUP (default true). The demo turns this
   * off to hang up and watch the groups being deleted before it closes the browser itself.
   */
  handleSignals?: boolean;
}

export interface HeapUsage {
  usedSize: number;
  totalSize: number;
}

export interface ChromiumHarness {
  context: BrowserContext;
  /** The extension's service worker as Playwright sees it now (the object survives restarts). */
  readonly serviceWorker: Worker;
  extensionId: string;
  /** `chrome-extension://ID/<file>` */
  extensionUrl(file: string): string;
  /** Runs `fn(arg)` in the service worker (fails with a clear error after `timeoutMs`). */
  evalInWorker<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A, timeoutMs?: number): Promise<R>;
  /** Opens options.html in a new tab. */
  openOptions(): Promise<Page>;
  /**
   * Opens popup.html in a new tab. With `tabUrl`, the tab showing that URL is looked up and passed
   * as `?tabId=N`, because a popup opened as a page would otherwise see itself as the active tab.
   */
  openPopup(tabUrl?: string): Promise<Page>;
  /** Stops the extension's service worker (as Chrome does when idle) and waits until it is stopped. */
  stopServiceWorker(): Promise<void>;
  /** Starts the stopped service worker again and waits until it runs. */
  startServiceWorker(): Promise<void>;
  /** The worker's status as DevTools reports it ('running', 'stopped', ...). */
  serviceWorkerStatus(): Promise<string>;
  /** The service worker's JS heap after a full GC. */
  workerHeap(options?: { collectGarbage?: boolean }): Promise<HeapUsage>;
  /** A V8 heap snapshot of the service worker (JSON text, as DevTools saves it), taken after a full GC. */
  workerHeapSnapshot(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Flags that make extensions, fake media and loopback WebRTC work headless on these machines
 * (RECIPES). Without `extensionDir`, no extension is loaded (scripts/record-fixtures.mjs).
 */
export function chromiumArgs(extensionDir?: string): string[] {
  return [
    ...(extensionDir ? [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`] : []),
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ];
}

/**
 * Launches Chromium (CHROMIUM_PATH or /usr/bin/chromium) with the unpacked extension through
 * playwright-core, and finds the extension's service worker.
 *
 * How the CDP pieces work here (Chromium 156, playwright-core 1.65):
 * - `context.newCDPSession(worker)` is refused ("expected Page or Frame"), so worker-level CDP
 *   goes through a browser session (`context.browser().newBrowserCDPSession()`, available for a
 *   persistent context too): `Target.attachToTarget({ flatten: false })` on the service_worker
 *   target, then `Target.sendMessageToTarget` / `Target.receivedMessageFromTarget`. No
 *   --remote-debugging-port and no WebSocket client are needed (Node 20 has no global WebSocket).
 * - `ServiceWorker.stopAllWorkers` on a page session stops the worker. Playwright then keeps the
 *   same Worker object and sends no 'close'; an evaluate on a stopped worker hangs until it runs
 *   again, so status comes from `ServiceWorker.workerVersionUpdated` (runningStatus) instead, and
 *   after a restart the same Worker object evaluates in the new instance.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<ChromiumHarness> {
  const extensionDir = path.resolve(options.extensionDir ?? CHROME_BUILD_DIR);
  if (!fs.existsSync(path.join(extensionDir, 'manifest.json'))) {
    throw new Error(`No built extension in ${extensionDir}: run \`npx wxt build\` first`);
  }
  const ownProfile = !options.userDataDir;
  const userDataDir = options.userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-'));
  const args = [...chromiumArgs(extensionDir), ...(options.args ?? [])];
  if (options.remoteDebuggingPort) args.push(`--remote-debugging-port=${options.remoteDebuggingPort}`);

  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: options.headless ?? true,
    ignoreDefaultArgs: ['--disable-extensions'],
    args,
    handleSIGINT: options.handleSignals ?? true,
    handleSIGTERM: options.handleSignals ?? true,
    handleSIGHUP: options.handleSignals ?? true,
  });

  try {
    const first = context.serviceWorkers().find(isExtensionWorker) ?? (await context.waitForEvent('serviceworker', { predicate: isExtensionWorker, timeout: 20_000 }));
    const extensionId = new URL(first.url()).host;
    const scriptUrl = first.url();
    const extensionUrl = (file: string) => `chrome-extension://${extensionId}/${file.replace(/^\//, '')}`;

    const currentWorker = (): Worker => {
      const worker = context.serviceWorkers().find((w) => w.url() === scriptUrl);
      if (!worker) throw new Error('The extension service worker is not known to Playwright');
      return worker;
    };

    // The extension opens its options page on first install, possibly in the tab Playwright opened
    // with the profile. Tests open their own pages: close it so that no test page is taken over by
    // it later (Chromium may show the options page in an existing blank tab).
    await closeInstallOptionsPage(context, extensionUrl('options.html'));

    // One hidden page carries the ServiceWorker-domain session (stop/start/status).
    let swSession: { page: Page; session: CDPSession; status: string; stops: number } | undefined;
    async function serviceWorkerSession() {
      if (swSession && !swSession.page.isClosed()) return swSession;
      const page = await context.newPage();
      const session = await context.newCDPSession(page);
      const state = { page, session, status: 'unknown', stops: 0 };
      // Stops are counted as events: Chromium may start the worker again within a few hundred ms
      // of a stop (a page's next report wakes it), which polling the status would miss.
      session.on('ServiceWorker.workerVersionUpdated', (event) => {
        for (const version of event.versions) {
          if (version.scriptURL !== scriptUrl) continue;
          if (version.runningStatus === 'stopped' && state.status !== 'stopped') state.stops++;
          state.status = version.runningStatus;
        }
      });
      await session.send('ServiceWorker.enable');
      swSession = state;
      return state;
    }

    /** Runs `fn` with a CDP caller attached to the extension's service worker (which must be running). */
    const withWorkerTarget = async <T,>(
      fn: (call: TargetCall, onEvent: (listener: (method: string, params: unknown) => void) => void) => Promise<T>,
    ): Promise<T> => {
      const browser = context.browser();
      if (!browser) throw new Error('worker CDP: no Browser object for this context');
      const session = await browser.newBrowserCDPSession();
      const listeners: Array<(event: { sessionId: string; message: string }) => void> = [];
      try {
        const { targetInfos } = await session.send('Target.getTargets');
        const target = targetInfos.find((t) => t.type === 'service_worker' && t.url === scriptUrl);
        if (!target) throw new Error('worker CDP: the service worker is not running');
        const { sessionId } = await session.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
        const onEvent = (listener: (method: string, params: unknown) => void) => {
          const forward = (event: { sessionId: string; message: string }) => {
            if (event.sessionId !== sessionId) return;
            const message = JSON.parse(event.message) as { method?: string; params?: unknown };
            if (message.method) listener(message.method, message.params);
          };
          listeners.push(forward);
          session.on('Target.receivedMessageFromTarget', forward);
        };
        const result = await fn(targetCaller(session, sessionId), onEvent);
        await session.send('Target.detachFromTarget', { sessionId }).catch(() => {});
        return result;
      } finally {
        for (const forward of listeners) session.off('Target.receivedMessageFromTarget', forward);
        await session.detach().catch(() => {});
      }
    };
    const harness: ChromiumHarness = {
      context,
      get serviceWorker() {
        return currentWorker();
      },
      extensionId,
      extensionUrl,
      async evalInWorker(fn, arg, timeoutMs = 15_000) {
        const worker = currentWorker();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`evalInWorker: no answer in ${timeoutMs} ms (is the worker stopped?)`)), timeoutMs);
        });
        try {
          // Playwright serialises the function text; the cast keeps its overloads happy.
          return (await Promise.race([worker.evaluate(fn as (a: unknown) => unknown, arg), timeout])) as Awaited<ReturnType<typeof fn>>;
        } finally {
          clearTimeout(timer);
        }
      },
      async openOptions() {
        const page = await context.newPage();
        await page.goto(extensionUrl('options.html'));
        return page;
      },
      async openPopup(tabUrl) {
        let query = '';
        if (tabUrl) {
          const tabId = await harness.evalInWorker(
            async (url: string) =>
              (await (globalThis as unknown as WorkerGlobals).chrome.tabs.query({})).find((t) => t.url === url)?.id,
            tabUrl,
          );
          if (tabId === undefined) throw new Error(`openPopup: no tab shows ${tabUrl}`);
          query = `?tabId=${tabId}`;
        }
        const page = await context.newPage();
        await page.goto(extensionUrl(`popup.html${query}`));
        return page;
      },
      async stopServiceWorker() {
        const state = await serviceWorkerSession();
        const before = state.stops;
        await state.session.send('ServiceWorker.stopAllWorkers');
        await waitFor(
          async () => {
            if (state.stops > before) return true;
            // A stop requested while the worker was starting can be ignored: ask again.
            await state.session.send('ServiceWorker.stopAllWorkers');
            return false;
          },
          { timeoutMs: 10_000, intervalMs: 250, what: 'the service worker to stop' },
        );
      },
      async startServiceWorker() {
        const state = await serviceWorkerSession();
        await state.session.send('ServiceWorker.startWorker', { scopeURL: extensionUrl('') });
        await waitFor(() => state.status === 'running', { timeoutMs: 10_000, what: 'the service worker to run' });
      },
      async serviceWorkerStatus() {
        return (await serviceWorkerSession()).status;
      },
      async workerHeap({ collectGarbage = true } = {}) {
        return withWorkerTarget(async (call) => {
          if (collectGarbage) await call('HeapProfiler.collectGarbage');
          const usage = (await call('Runtime.getHeapUsage')) as HeapUsage;
          return { usedSize: usage.usedSize, totalSize: usage.totalSize };
        });
      },
      async workerHeapSnapshot() {
        return withWorkerTarget(async (call, onEvent) => {
          const chunks: string[] = [];
          onEvent((method, params) => {
            if (method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push((params as { chunk: string }).chunk);
          });
          await call('HeapProfiler.collectGarbage');
          // A snapshot of a few MB takes seconds on a loaded machine; the chunks arrive before the answer.
          await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, 120_000);
          return chunks.join('');
        });
      },
      async close() {
        await context.close().catch(() => {});
        if (ownProfile) fs.rmSync(userDataDir, { recursive: true, force: true });
      },
    };
    return harness;
  } catch (error) {
    await context.close().catch(() => {});
    if (ownProfile) fs.rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

function isExtensionWorker(worker: Worker): boolean {
  return worker.url().startsWith('chrome-extension://');
}

/** Sends CDP commands to a target attached without flattening, through the browser session. */
type TargetCall = (method: string, params?: Record<string, unknown>, timeoutMs?: number) => Promise<unknown>;

function targetCaller(session: CDPSession, sessionId: string): TargetCall {
  let nextId = 0;
  return (method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        session.off('Target.receivedMessageFromTarget', onMessage);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      function onMessage(event: { sessionId: string; message: string }) {
        if (event.sessionId !== sessionId) return;
        const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
        if (message.id !== id) return;
        clearTimeout(timer);
        session.off('Target.receivedMessageFromTarget', onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      }
      session.on('Target.receivedMessageFromTarget', onMessage);
      session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
}

/** Closes the options tab the extension opens on install, if it opens within `waitMs`. */
async function closeInstallOptionsPage(context: BrowserContext, optionsUrl: string, waitMs = 3_000): Promise<void> {
  const isOptions = (page: Page) => page.url().startsWith(optionsUrl);
  const open = context.pages().find(isOptions);
  const page =
    open ?? (await context.waitForEvent('page', { predicate: isOptions, timeout: waitMs }).catch(() => undefined));
  if (page) {
    await page.close().catch(() => {});
    return;
  }
  // It may still be loading in an existing tab whose URL changes later.
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const late = context.pages().find(isOptions);
    if (late) return void (await late.close().catch(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
