import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { freePort, waitFor } from './free-port';
import { connectFirefoxDebugger, firefoxDebuggerPrefs, type BackgroundStatus } from './firefox-debugger';

/** Where `wxt build -b firefox --mv3` puts the Firefox build. */
export const FIREFOX_BUILD_DIR = path.resolve(process.env.WXT_OUT_DIR ?? '.output', 'firefox-mv3');

/**
 * The moz-extension UUID the harness pins through the `extensions.webextensions.uuids` pref, so
 * extension URLs are known before install (Firefox otherwise picks a random one per profile).
 */
export const FIREFOX_EXTENSION_UUID = '0e2e0e2e-5eb1-4c0a-9d1e-7e57b10c0a11';

export interface LaunchFirefoxOptions {
  /** Unpacked extension directory. Default `.output/firefox-mv3`. */
  extensionDir?: string;
  /** Extra prefs. */
  prefs?: Record<string, string | number | boolean>;
  /** Headless (default true). */
  headless?: boolean;
  /** Firefox executable (default FIREFOX_PATH or /usr/bin/firefox-esr). */
  executablePath?: string;
  /** Accept self-signed certificates (pages served under platforms' host names). Default false. */
  acceptInsecureCerts?: boolean;
  /**
   * Profile directory to use and keep (a fresh temp profile, removed on close, when omitted). The
   * extension is a temporary add-on, which Firefox uninstalls when it closes: with a kept profile
   * the harness sets `extensions.webextensions.keepStorageOnUninstall`, so the next launch's
   * install finds the same storage.local and storage.sync (measured: storage.session is empty).
   */
  userDataDir?: string;
}

export interface FirefoxHarness {
  browser: Browser;
  /** The gecko id from the manifest (what installExtension returns). */
  extensionId: string;
  /** `moz-extension://<pinned uuid>/<file>` */
  extensionUrl(file: string): string;
  /** The first open tab whose location starts with `extensionUrl(file)`, waiting up to `timeoutMs`. */
  findExtensionPage(file: string, timeoutMs?: number): Promise<Page>;
  /** An extension page to run extension APIs in (an open one, else options opened for it). */
  extensionPage(): Promise<Page>;
  /** Opens the options page through `runtime.openOptionsPage()` and returns its tab. */
  openOptions(): Promise<Page>;
  /** Runs `fn(arg)` in an extension page (full `browser.*` APIs; the background is not reachable over BiDi). */
  evalInExtension<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Terminates the background event page (about:debugging's button, over the debugger protocol) and waits until it is stopped. */
  terminateBackground(): Promise<void>;
  /** The background event page's status as about:debugging shows it. */
  backgroundStatus(): Promise<BackgroundStatus>;
  close(): Promise<void>;
}

/**
 * Prefs for headless Firefox e2e: fake media without prompts (RECIPES), and optional permissions
 * granted without a prompt. Measured on Firefox 153 ESR: with
 * `extensions.webextOptionalPermissionPrompts: false`, `permissions.request()` called from a click
 * in an extension page resolves `true` at once; without it, the request never settles headless.
 */
export function firefoxPrefs(extra: Record<string, string | number | boolean> = {}): Record<string, string | number | boolean> {
  return {
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    'extensions.webextOptionalPermissionPrompts': false,
    ...extra,
  };
}

/**
 * Launches Firefox ESR (FIREFOX_PATH or /usr/bin/firefox-esr) through puppeteer-core over WebDriver
 * BiDi and installs the unpacked extension (temporary install: its background starts at once and
 * MV3 `host_permissions` are granted at install).
 *
 * BiDi refuses to navigate a tab to moz-extension:// (by goto or by script), so extension pages
 * are reached through `runtime.openOptionsPage()` called from an extension page, or one the
 * extension opened itself; `page.url()` reads about:blank for them, `location.href` is right.
 */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<FirefoxHarness> {
  const extensionDir = path.resolve(options.extensionDir ?? FIREFOX_BUILD_DIR);
  const manifestPath = path.join(extensionDir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`No built extension in ${extensionDir}: run \`npx wxt build -b firefox --mv3\` first`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
    browser_specific_settings?: { gecko?: { id?: string } };
  };
  const geckoId = manifest.browser_specific_settings?.gecko?.id;
  if (!geckoId) throw new Error('The Firefox manifest has no browser_specific_settings.gecko.id');

  // The debugger server (see firefox-debugger.ts) is what can stop the background event page.
  const debuggerPort = await freePort();
  const instance = await puppeteer.launch({
    browser: 'firefox',
    executablePath: options.executablePath ?? process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: options.headless ?? true,
    acceptInsecureCerts: options.acceptInsecureCerts ?? false,
    args: ['--start-debugger-server', String(debuggerPort)],
    ...(options.userDataDir ? { userDataDir: options.userDataDir } : {}),
    extraPrefsFirefox: firefoxPrefs({
      'extensions.webextensions.uuids': JSON.stringify({ [geckoId]: FIREFOX_EXTENSION_UUID }),
      ...firefoxDebuggerPrefs(),
      ...(options.userDataDir ? { 'extensions.webextensions.keepStorageOnUninstall': true } : {}),
      ...options.prefs,
    }),
  });

  try {
    const extensionId = await instance.installExtension(extensionDir);
    const debuggerClient = await connectFirefoxDebugger(debuggerPort);
    const extensionUrl = (file: string) => `moz-extension://${FIREFOX_EXTENSION_UUID}/${file.replace(/^\//, '')}`;

    async function href(page: Page): Promise<string> {
      return page.evaluate(() => location.href).catch(() => '');
    }

    async function findOpen(prefix: string): Promise<Page | undefined> {
      for (const page of await instance.pages()) if ((await href(page)).startsWith(prefix)) return page;
      return undefined;
    }

    const harness: FirefoxHarness = {
      browser: instance,
      extensionId,
      extensionUrl,
      findExtensionPage(file, timeoutMs = 10_000) {
        return waitFor(() => findOpen(extensionUrl(file)), { timeoutMs, what: `a tab showing ${file}` });
      },
      async extensionPage() {
        const open = await findOpen(extensionUrl(''));
        return open ?? harness.openOptions();
      },
      async openOptions() {
        const opener = await findOpen(extensionUrl(''));
        if (!opener) {
          // Nothing of ours is open: only the extension itself can open its pages.
          throw new Error(
            'openOptions: no extension page is open to call runtime.openOptionsPage() from; ' +
              'the background opens the options page on first install',
          );
        }
        const before = new Set(await instance.pages());
        await opener.evaluate(() =>
          (globalThis as unknown as { browser: { runtime: { openOptionsPage(): Promise<void> } } }).browser.runtime.openOptionsPage(),
        );
        return waitFor(
          async () => {
            for (const page of await instance.pages()) {
              if ((await href(page)).startsWith(extensionUrl('options.html')) && (!before.has(page) || page === opener)) return page;
            }
            return findOpen(extensionUrl('options.html'));
          },
          { timeoutMs: 10_000, what: 'the options tab' },
        );
      },
      async evalInExtension(fn, arg) {
        const page = await harness.extensionPage();
        return page.evaluate(fn as (a: unknown) => unknown, arg) as Promise<Awaited<ReturnType<typeof fn>>>;
      },
      terminateBackground: () => debuggerClient.terminateBackground(extensionId),
      backgroundStatus: () => debuggerClient.backgroundStatus(extensionId),
      async close() {
        debuggerClient.close();
        await instance.close().catch(() => {});
      },
    };
    return harness;
  } catch (error) {
    await instance.close().catch(() => {});
    throw error;
  }
}
