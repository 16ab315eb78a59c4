import type { WxtBrowser } from 'wxt/browser';
import { decideCapture } from '../platforms/capture-scope';
import type { DropCounter } from '../resilience/drop-counter';
import type { Settings } from '../settings/settings-schema';

/** The built content scripts, as the registrar registers them. */
export const HOOK_SCRIPT_FILE = '/content-scripts/hook.js';
export const RELAY_SCRIPT_FILE = '/content-scripts/relay.js';
/** Most tabs taken over at one install or update; the rest get capture at their next load. */
export const TAKEOVER_MAX_TABS = 100;

export interface TakeoverResult {
  /** Tabs given a new relay. */
  tabs: number;
  /** Frames that had no page hook and got one (pages opened before the extension was installed). */
  hooksInjected: number;
  /** Tabs whose injection failed (counted as drops, `takeover-failed`). */
  failed: number;
}

interface TakeoverDeps {
  tabs: Pick<WxtBrowser['tabs'], 'query'>;
  scripting: Pick<WxtBrowser['scripting'], 'executeScript'>;
  settings: Settings;
  drops: DropCounter;
}

/**
 * After an install, update or reload, Chrome runs no content script in tabs that are already
 * open: the old relays are orphaned (their hooks stop polling when told so) and the tabs would
 * export nothing until they are reloaded. This gives every captured open tab a new relay, and a
 * page hook where none is running. A frame that still has the previous version's hook keeps it:
 * only that hook knows the page's existing connections, and the new relay's config wakes it
 * (under new connection ids, so its old groups can be deleted without a race).
 */
export async function takeOverOpenTabs(deps: TakeoverDeps): Promise<TakeoverResult> {
  const result: TakeoverResult = { tabs: 0, hooksInjected: 0, failed: 0 };
  const tabs = await deps.tabs.query({}).catch(() => []);
  const captured = tabs.filter(
    (tab) => tab.id !== undefined && tab.url !== undefined && decideCapture(tab.url, deps.settings).enabled,
  );
  if (captured.length > TAKEOVER_MAX_TABS) deps.drops.count('takeover-tab-cap', captured.length - TAKEOVER_MAX_TABS);
  for (const tab of captured.slice(0, TAKEOVER_MAX_TABS)) {
    const tabId = tab.id as number;
    try {
      const probes = await deps.scripting.executeScript({
        target: { tabId, allFrames: true },
        world: 'MAIN',
        // A running hook cancels its probe event (page-channel.ts PROBE_EVENT). Serialised into the
        // page, so it cannot import the name; a unit test keeps it equal.
        func: () => !window.dispatchEvent(new CustomEvent('webrtc-stats-exporter/page/probe', { cancelable: true })),
      });
      const frameIds = probes.filter((probe) => probe.result === false).map((probe) => probe.frameId);
      if (frameIds.length) {
        await deps.scripting.executeScript({ target: { tabId, frameIds }, world: 'MAIN', files: [HOOK_SCRIPT_FILE] });
        result.hooksInjected += frameIds.length;
      }
      await deps.scripting.executeScript({ target: { tabId, allFrames: true }, files: [RELAY_SCRIPT_FILE] });
      result.tabs++;
    } catch {
      // A tab that closed or navigated meanwhile, or a frame we may not script: capture starts at its next load.
      result.failed++;
      deps.drops.count('takeover-failed');
    }
  }
  return result;
}
