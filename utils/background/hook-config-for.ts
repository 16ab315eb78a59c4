import { decideCapture } from '../platforms/capture-scope';
import type { HookConfig } from '../messaging/hook-config';
import type { Settings } from '../settings/settings-schema';

/** What the hook in a frame at `url` is told: only capture switches and limits, nothing secret. */
export function hookConfigFor(settings: Settings, url: string): HookConfig {
  return {
    enabled: decideCapture(url, settings).enabled,
    intervalMs: settings.intervalMs,
    statsTypes: settings.statsTypes,
    failedConnectionTimeoutMs: settings.reliability.failedConnectionTimeoutMs,
    maxStatsPerReport: settings.reliability.maxStatsPerReport,
    maxConnections: settings.reliability.maxConnectionsPerTab,
  };
}
