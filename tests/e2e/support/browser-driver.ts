import type { Health } from '../../../utils/messaging/health';
import type { SettingsInput } from '../../../utils/settings/settings-schema';
import type { ScenarioPage } from './platform-shapes';

/** The extension storage areas a scenario reads or writes. */
export type StorageArea = 'local' | 'session' | 'sync';

/** Items per storage area. */
export type StorageItems = Partial<Record<StorageArea, Record<string, unknown>>>;

/**
 * What a scenario shared by the Chromium and the Firefox e2e tests needs from a browser with the
 * extension installed: one scenario body, two drivers (chromium-driver.ts, firefox-driver.ts).
 * Extension-side calls go through a "quiet" extension page (the manifest shown as a page) that
 * polls nothing, so a stopped background stays stopped until a scenario wakes it.
 */
export interface BrowserDriver {
  /** 'Chromium' or 'Firefox', for test names and log lines. */
  readonly name: string;
  /** A new tab for a call page. */
  newPage(): Promise<ScenarioPage>;
  /** Writes settings as the options page would; with `expectMatch`, waits until capture is registered there. */
  configure(settings: SettingsInput, expectMatch?: string): Promise<void>;
  /** The background's health, asked as the popup asks it (this wakes a stopped background). */
  health(): Promise<Health>;
  /**
   * Stops the background (Chromium: the service worker; Firefox: the event page) and waits until
   * it is stopped. Returns a check that says whether it has stayed stopped since (nothing woke it).
   */
  stopBackground(): Promise<() => Promise<boolean>>;
  /**
   * Keeps a call page from sending reports (which would wake a stopped background) until the
   * returned function is called. Chromium freezes the page (CDP); Firefox has no such control over
   * BiDi and returns at once: there, a scenario checks `stopBackground`'s answer and tries again.
   */
  holdReports(page: ScenarioPage): Promise<() => Promise<void>>;
  /** Reads `keys` from every storage area. */
  readStorage(keys: string[]): Promise<Record<StorageArea, Record<string, unknown>>>;
  /** Writes to several areas, every write issued before the first settles (a waking background reads all of them). */
  writeStorage(items: StorageItems): Promise<void>;
  /**
   * Closes the browser, runs `whileClosed` (if given), and starts it again with the same profile
   * (needs `persistentProfile`); the extension's storage.local and storage.sync survive,
   * storage.session does not.
   */
  restartBrowser(whileClosed?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** How a driver launches its browser. */
export interface DriverOptions {
  /** Keep the profile in a temp dir of the driver's own, so `restartBrowser()` can reopen it. Default false. */
  persistentProfile?: boolean;
}

/** Runs a function with one argument in an extension page (each driver's page fits this). */
export type ExtensionEval = <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>;

interface StorageGlobals {
  browser?: { storage: Record<StorageArea, StorageAreaApi> };
  chrome: { storage: Record<StorageArea, StorageAreaApi> };
}
interface StorageAreaApi {
  get(keys: string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/** `readStorage` for either browser, run through `evaluate` in an extension page. */
export function readStorageWith(evaluate: ExtensionEval, keys: string[]): Promise<Record<StorageArea, Record<string, unknown>>> {
  return evaluate(async (wanted: string[]) => {
    const globals = globalThis as unknown as StorageGlobals;
    const { storage } = globals.browser ?? globals.chrome;
    const [local, session, sync] = await Promise.all([storage.local.get(wanted), storage.session.get(wanted), storage.sync.get(wanted)]);
    return { local, session, sync };
  }, keys);
}

/** `writeStorage` for either browser, run through `evaluate` in an extension page. */
export function writeStorageWith(evaluate: ExtensionEval, items: StorageItems): Promise<void> {
  return evaluate(async (byArea: StorageItems) => {
    const globals = globalThis as unknown as StorageGlobals;
    const { storage } = globals.browser ?? globals.chrome;
    await Promise.all(
      (Object.entries(byArea) as [StorageArea, Record<string, unknown>][]).map(([area, values]) => storage[area].set(values)),
    );
  }, items);
}
