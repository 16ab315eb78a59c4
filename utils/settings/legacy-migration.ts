import { BUILTIN_PLATFORMS, type BuiltinPlatformId } from '../platforms/builtin-platforms';
import { SETTINGS_VERSION } from './settings-schema';

/**
 * Keys the older exporters (webrtc-internals-exporter and its forks) kept flat in
 * `storage.sync`. They are read once, when no settings of this extension exist yet, and left
 * untouched: a user who rolls back to the older extension still finds their configuration,
 * and since the new record then exists, the migration never runs twice.
 */
export const LEGACY_KEYS = [
  'url',
  'username',
  'password',
  'updateInterval',
  'gzip',
  'job',
  'agentId',
  'enabledOrigins',
  'enabledStats',
] as const;

/** True when a storage read holds any of the older exporters' keys. */
export function hasLegacySettings(stored: Record<string, unknown>): boolean {
  return LEGACY_KEYS.some((key) => stored[key] !== undefined);
}

function hostMatches(host: string, patternHost: string): boolean {
  if (patternHost === '*') return true;
  if (patternHost.startsWith('*.')) {
    const base = patternHost.slice(2);
    return host === base || host.endsWith(`.${base}`);
  }
  return host === patternHost;
}

/**
 * The built-in platform an origin belongs to, by exact host match against the platform's
 * match patterns (paths are ignored: the older extensions stored bare origins).
 */
export function platformOfOrigin(origin: string): BuiltinPlatformId | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  for (const platform of BUILTIN_PLATFORMS) {
    for (const pattern of platform.matches) {
      const match = /^(\*|https?):\/\/([^/]+)\//.exec(pattern);
      if (!match) continue;
      const [, scheme = '', host = ''] = match;
      if (scheme !== '*' && `${scheme}:` !== url.protocol) continue;
      if (hostMatches(url.hostname, host)) return platform.id;
    }
  }
  return undefined;
}

function toSeconds(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/**
 * Maps the older exporters' flat layout onto this extension's settings input (still to be
 * validated field by field):
 * - `url, username, password, gzip, job` -> `gateway.*`; `agentId` -> `agentId`
 * - `updateInterval` (seconds) -> `intervalMs`
 * - `enabledStats` -> `statsTypes`
 * - `enabledOrigins` (object origin -> boolean, or array of enabled origins): an origin of a
 *   built-in platform sets that platform's flag (object form: its boolean, any true wins;
 *   array form: listed means on, a platform not listed is off); other enabled origins become
 *   `customOrigins`; other disabled origins are dropped (nothing captures there anyway).
 * Values of the wrong type are passed through so that validation reports them by path.
 */
export function migrateLegacySettings(stored: Record<string, unknown>): Record<string, unknown> {
  const gateway: Record<string, unknown> = {};
  if (stored.url !== undefined) gateway.url = stored.url;
  if (stored.username !== undefined) gateway.username = stored.username;
  if (stored.password !== undefined) gateway.password = stored.password;
  if (stored.gzip !== undefined) gateway.gzip = stored.gzip;
  if (stored.job !== undefined) gateway.job = stored.job;

  const result: Record<string, unknown> = { version: SETTINGS_VERSION, gateway };
  if (stored.agentId !== undefined) result.agentId = stored.agentId;
  if (stored.updateInterval !== undefined) {
    const seconds = toSeconds(stored.updateInterval);
    result.intervalMs = seconds === undefined ? stored.updateInterval : Math.round(seconds * 1000);
  }
  if (stored.enabledStats !== undefined) result.statsTypes = stored.enabledStats;

  const origins = stored.enabledOrigins;
  if (origins !== undefined) {
    const entries: [string, boolean][] | undefined = Array.isArray(origins)
      ? origins.filter((origin): origin is string => typeof origin === 'string').map((origin) => [origin, true])
      : typeof origins === 'object' && origins !== null
        ? Object.entries(origins).map(([origin, enabled]) => [origin, enabled === true])
        : undefined;
    if (entries === undefined) {
      result.customOrigins = origins; // reported as invalid by validation
    } else {
      const platforms: Partial<Record<BuiltinPlatformId, boolean>> = {};
      // Array form lists only what is on: a platform not listed was off.
      if (Array.isArray(origins)) for (const platform of BUILTIN_PLATFORMS) platforms[platform.id] = false;
      const customOrigins: string[] = [];
      for (const [origin, enabled] of entries) {
        const platform = platformOfOrigin(origin);
        if (platform) platforms[platform] = platforms[platform] === true || enabled;
        else if (enabled && !customOrigins.includes(origin)) customOrigins.push(origin);
      }
      result.platforms = platforms;
      result.customOrigins = customOrigins;
    }
  }
  return result;
}
