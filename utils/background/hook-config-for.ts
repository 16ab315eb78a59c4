import { decideCapture } from '../platforms/capture-scope';
import type { HookConfig } from '../messaging/hook-config';
import type { Settings } from '../settings/settings-schema';
import { QUALITY_STAT_FIELDS } from '../quality/stat-fields';

/**
 * Longest wait, ms, of a snapshot in the hook before it is handed to the relay (when the push
 * interval allows): reports reach the background and the popup at most this late.
 */
export const HOOK_REPORT_INTERVAL_CAP_MS = 1_000;

/** What the hook in a frame at `url` is told: only capture switches and limits, nothing secret. */
export function hookConfigFor(settings: Settings, url: string): HookConfig {
  return {
    enabled: decideCapture(url, settings).enabled,
    intervalMs: settings.intervalMs,
    reportIntervalMs: Math.max(settings.intervalMs, Math.min(settings.pushIntervalMs, HOOK_REPORT_INTERVAL_CAP_MS)),
    ...statsSelection(settings),
    failedConnectionTimeoutMs: settings.reliability.failedConnectionTimeoutMs,
    maxStatsPerReport: settings.reliability.maxStatsPerReport,
    maxConnections: settings.reliability.maxConnectionsPerTab,
  };
}

/**
 * The chosen stats types, narrowed in the `quality` profile to the types, fields and candidate
 * pairs its engine reads: nothing else of a report is exported or charted there, so nothing else
 * need leave the page.
 */
function statsSelection(settings: Settings): Pick<HookConfig, 'statsTypes' | 'statsFields' | 'selectedPairOnly'> {
  if (settings.exportProfile !== 'quality') return { statsTypes: settings.statsTypes };
  const statsTypes = settings.statsTypes.filter((type) => type in QUALITY_STAT_FIELDS);
  return {
    statsTypes,
    statsFields: Object.fromEntries(statsTypes.map((type) => [type, [...QUALITY_STAT_FIELDS[type]!]])),
    selectedPairOnly: true,
  };
}
