import { MatchPattern } from '@webext-core/match-patterns';
import { BUILTIN_PLATFORMS } from './builtin-platforms';
import type { Settings } from '../settings/settings-schema';

/** Platform label of a page captured through a custom origin. */
export const CUSTOM_PLATFORM = 'custom';

export interface CaptureDecision {
  /** Built-in platform id, `custom`, or null when the URL is not in scope at all. */
  platform: string | null;
  /** Whether reports from this URL are captured and exported. */
  enabled: boolean;
  /** The page's origin (scheme://host[:port]) or null for opaque URLs. */
  origin: string | null;
}

const builtinPatterns = BUILTIN_PLATFORMS.map((platform) => ({
  id: platform.id,
  patterns: platform.matches.map((match) => new MatchPattern(match)),
}));

// Custom patterns come from settings, which change rarely; parsing them per report would be waste.
const customPatternCache = new Map<string, MatchPattern | null>();
const CUSTOM_PATTERN_CACHE_CAP = 256;

function customPattern(pattern: string): MatchPattern | null {
  let parsed = customPatternCache.get(pattern);
  if (parsed === undefined) {
    try {
      parsed = new MatchPattern(pattern);
    } catch {
      parsed = null;
    }
    if (customPatternCache.size >= CUSTOM_PATTERN_CACHE_CAP) customPatternCache.clear();
    customPatternCache.set(pattern, parsed);
  }
  return parsed;
}

/** Origin of a URL, or null for opaque and unparsable ones. */
export function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Decides whether a page is captured: built-in platforms by exact host pattern, then custom
 * origins; an origin the user switched off (popup toggle) is never captured.
 */
export function decideCapture(url: string, settings: Settings): CaptureDecision {
  const origin = originOf(url);
  if (!origin) return { platform: null, enabled: false, origin: null };
  const switchedOff = settings.disabledOrigins.includes(origin);
  for (const platform of builtinPatterns) {
    if (platform.patterns.some((pattern) => pattern.includes(url))) {
      return { platform: platform.id, enabled: settings.platforms[platform.id] && !switchedOff, origin };
    }
  }
  if (settings.customOrigins.some((pattern) => customPattern(pattern)?.includes(url))) {
    return { platform: CUSTOM_PLATFORM, enabled: !switchedOff, origin };
  }
  return { platform: null, enabled: false, origin };
}

/** Match patterns the content scripts should run on: enabled built-ins plus custom origins. */
export function wantedMatchPatterns(settings: Settings): string[] {
  const patterns = BUILTIN_PLATFORMS.filter((platform) => settings.platforms[platform.id]).flatMap(
    (platform) => [...platform.matches],
  );
  return [...new Set([...patterns, ...settings.customOrigins])];
}

/** Exclusion patterns for origins the user switched off. */
export function excludedMatchPatterns(settings: Settings): string[] {
  return settings.disabledOrigins.flatMap((origin) => {
    try {
      const url = new URL(origin);
      return [`${url.protocol}//${url.hostname}/*`];
    } catch {
      return [];
    }
  });
}
