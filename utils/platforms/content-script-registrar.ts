import type { WxtBrowser } from 'wxt/browser';
import { excludedMatchPatterns, wantedMatchPatterns } from './capture-scope';
import type { Settings } from '../settings/settings-schema';

/** Ids of the run-time registered content scripts. */
const SCRIPT_ID_PREFIX = 'webrtc-exporter-';
export const HOOK_SCRIPT_ID = `${SCRIPT_ID_PREFIX}hook`;
export const RELAY_SCRIPT_ID = `${SCRIPT_ID_PREFIX}relay`;

/**
 * The pattern a script is registered on: the match's scheme and host with the path `/*`.
 *
 * Pristine `about:blank`, `srcdoc`, `data:` and `blob:` frames are matched by their creator's
 * origin only with `matchOriginAsFallback`, which both Chromium and Firefox accept only on patterns
 * whose path is `/*` (the creator's origin has no path to match). So a path pattern such as
 * Amazon Connect's `https://*.awsapps.com/connect/*` is registered on `https://*.awsapps.com/*`:
 * host permissions ignore paths in both browsers, so no new permission is needed, and which pages
 * are captured is still decided by the full pattern (capture-scope's `decideCapture`), so the
 * host's other pages get a hook that stays idle.
 */
export function registrationPattern(pattern: string): string {
  const match = /^([^:]+:\/\/[^/]+)\//.exec(pattern);
  return match ? `${match[1]}/*` : pattern;
}

export interface RegistrarResult {
  /** Patterns the scripts are registered on now. */
  registered: string[];
  /** Custom origins that are configured but lack a granted host permission. */
  missingPermission: string[];
}

interface RegistrarDeps {
  scripting: Pick<WxtBrowser['scripting'], 'registerContentScripts' | 'unregisterContentScripts' | 'getRegisteredContentScripts'>;
  permissions: Pick<WxtBrowser['permissions'], 'contains'>;
}

/**
 * Keeps the run-time content-script registrations equal to what settings ask for. One code
 * path serves built-in platforms and custom origins, so a platform switched off has no
 * script at all on its pages (not merely a silent one).
 */
export function createContentScriptRegistrar(deps: RegistrarDeps) {
  let lastKey = '';
  let running: Promise<RegistrarResult> = Promise.resolve({ registered: [], missingPermission: [] });

  async function grantedPatterns(patterns: string[]): Promise<{ granted: string[]; missing: string[] }> {
    const granted: string[] = [];
    const missing: string[] = [];
    for (const pattern of patterns) {
      const has = await deps.permissions.contains({ origins: [pattern] }).catch(() => false);
      (has ? granted : missing).push(pattern);
    }
    return { granted, missing };
  }

  async function apply(settings: Settings, force: boolean): Promise<RegistrarResult> {
    const { granted, missing } = await grantedPatterns(wantedMatchPatterns(settings));
    const excludes = excludedMatchPatterns(settings);
    const key = JSON.stringify([granted, excludes]);
    const existing = (await deps.scripting.getRegisteredContentScripts()).filter((script) =>
      script.id.startsWith(SCRIPT_ID_PREFIX),
    );
    if (!force && key === lastKey && existing.length > 0 === granted.length > 0) {
      return { registered: granted, missingPermission: missing };
    }
    if (existing.length) {
      await deps.scripting.unregisterContentScripts({ ids: existing.map((script) => script.id) });
    }
    const matches = [...new Set(granted.map(registrationPattern))];
    if (matches.length) {
      const common = {
        matches,
        excludeMatches: excludes.length ? excludes : undefined,
        allFrames: true,
        runAt: 'document_start' as const,
        persistAcrossSessions: true,
        // about:blank, srcdoc, data: and blob: frames run the scripts of their creator's origin only with this.
        matchOriginAsFallback: true,
      };
      await deps.scripting.registerContentScripts([
        { ...common, id: HOOK_SCRIPT_ID, js: ['content-scripts/hook.js'], world: 'MAIN' as const },
        { ...common, id: RELAY_SCRIPT_ID, js: ['content-scripts/relay.js'] },
      ]);
    }
    lastKey = key;
    return { registered: granted, missingPermission: missing };
  }

  return {
    /** Brings registrations in line with settings; calls are serialised. */
    sync(settings: Settings, options: { force?: boolean } = {}): Promise<RegistrarResult> {
      running = running.catch(() => undefined).then(() => apply(settings, options.force ?? false));
      return running;
    },
  };
}
export type ContentScriptRegistrar = ReturnType<typeof createContentScriptRegistrar>;
