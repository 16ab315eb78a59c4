import type { FirefoxHarness } from './firefox';
import { waitFor } from './free-port';
import type { SettingsInput } from '../../../utils/settings/settings-schema';

interface ExtensionGlobals {
  browser: {
    storage: { sync: { set(items: Record<string, unknown>): Promise<void> } };
    scripting: { getRegisteredContentScripts(): Promise<{ id: string; matches?: string[] }[]> };
  };
}

/**
 * Firefox's counterpart of exporter-control's configureExtension: writes settings as the options
 * page would (from an extension page: the background is not reachable over BiDi), then waits until
 * the capture scripts are registered on `expectMatch`.
 */
export async function configureFirefoxExtension(firefox: FirefoxHarness, settings: SettingsInput, expectMatch?: string): Promise<void> {
  await firefox.evalInExtension(async (value: SettingsInput) => {
    const { browser } = globalThis as unknown as ExtensionGlobals;
    await browser.storage.sync.set({ settings: { version: 1, ...value }, settingsSavedAt: Date.now() });
  }, settings);
  if (expectMatch === undefined) return;
  await waitFor(
    () =>
      firefox.evalInExtension(async (match: string) => {
        const { browser } = globalThis as unknown as ExtensionGlobals;
        return (await browser.scripting.getRegisteredContentScripts()).some((script) => script.matches?.includes(match));
      }, expectMatch),
    { timeoutMs: 20_000, what: `capture scripts registered on ${expectMatch}` },
  );
}
