import type { WxtBrowser } from 'wxt/browser';
import { excludedMatchPatterns, wantedMatchPatterns } from './capture-scope';
import type { Settings } from '../settings/settings-schema';

/** Ids of the run-time registered content scripts (each with a suffix per registration group). */
const SCRIPT_ID_PREFIX = 'webrtc-exporter-';
export const HOOK_SCRIPT_ID = `${SCRIPT_ID_PREFIX}hook`;
export const RELAY_SCRIPT_ID = `${SCRIPT_ID_PREFIX}relay`;

/**
 * Chromium accepts `matchOriginAsFallback` only on patterns whose path is `/*`, so patterns with
 * a path (Amazon Connect's `/connect/*`) are registered apart, without it.
 */
function splitByFallback(patterns: string[], fallbackSupported: boolean): [string, string[], boolean][] {
  if (!fallbackSupported) return [['', patterns, false]];
  const anyPath = patterns.filter((pattern) => /^[^:]+:\/\/[^/]+\/\*$/.test(pattern));
  const withPath = patterns.filter((pattern) => !anyPath.includes(pattern));
  return [
    ['', anyPath, true],
    ['-path', withPath, false],
  ];
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
  /** Firefox knows neither `matchOriginAsFallback` nor persistence flags on registered scripts the same way. */
  firefox: boolean;
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
    const registrations = [];
    for (const [suffix, matches, fallback] of splitByFallback(granted, !deps.firefox)) {
      if (!matches.length) continue;
      const common = {
        matches,
        excludeMatches: excludes.length ? excludes : undefined,
        allFrames: true,
        runAt: 'document_start' as const,
        persistAcrossSessions: true,
        // about:blank and data: frames run the scripts of their creator's origin only with this.
        ...(fallback ? { matchOriginAsFallback: true } : {}),
      };
      registrations.push(
        { ...common, id: `${HOOK_SCRIPT_ID}${suffix}`, js: ['content-scripts/hook.js'], world: 'MAIN' as const },
        { ...common, id: `${RELAY_SCRIPT_ID}${suffix}`, js: ['content-scripts/relay.js'] },
      );
    }
    if (registrations.length) await deps.scripting.registerContentScripts(registrations);
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
