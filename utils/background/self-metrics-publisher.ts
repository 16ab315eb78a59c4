import type { CallCounters } from '../export/export-state';
import type { ExportSink } from '../export/export-sink';
import type { Health } from '../messaging/health';
import type { Settings } from '../settings/settings-schema';
import type { KeyValueArea } from '../storage/key-value-area';
import { encodeExporterMetrics, exporterMetricsFromHealth } from '../metrics/exporter-metrics';

/** Outbox id of the exporter's own group (connection group ids are 12 base-36 characters, so never this). */
export const SELF_GROUP_ID = 'exporter-self';
/** Longest the self-metrics stay unrefreshed while the exporter is busy, and the shortest gap between two. */
const MIN_GAP_MS = 10_000;
const INSTANCE_KEY = 'exporterInstanceId';

interface SelfMetricsDeps {
  /** Where the instance id is kept: an area that survives a browser restart (storage.local first). */
  instanceArea: KeyValueArea;
  /** The outbox or the sample buffer, as the settings choose. */
  sink: Pick<ExportSink, 'configured' | 'put'>;
  settings: () => Settings;
  health: () => Health;
  /** Connections started and ended by class (persisted by the export state). */
  counters: () => CallCounters;
  now: () => number;
}

/**
 * Puts the exporter's own health (pushes, failures, breaker state, outbox depth, drops by
 * reason) into its own Pushgateway group (or, with remote-write, series labelled the same way),
 * keyed by a per-install instance id kept in storage.local so that a browser restart does not
 * leave a new group behind each time.
 */
export function createSelfMetricsPublisher(deps: SelfMetricsDeps) {
  let instanceId: string | undefined;
  let loading: Promise<void> | undefined;
  let lastAt = 0;
  let lastKey: Record<string, string> | null = null;

  async function loadInstanceId(): Promise<void> {
    try {
      const stored = await deps.instanceArea.get(INSTANCE_KEY);
      if (typeof stored === 'string' && /^[a-z0-9]{8,32}$/.test(stored)) {
        instanceId = stored;
        return;
      }
    } catch {
      // storage.local unavailable: a per-run id still keeps the metrics flowing.
    }
    instanceId = Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => (byte % 36).toString(36)).join('');
    await deps.instanceArea.set({ [INSTANCE_KEY]: instanceId }).catch(() => undefined);
  }

  return {
    /** Refreshes the self group when it is due; cheap to call on every flush. */
    maybePublish(): void {
      const settings = deps.settings();
      if (!settings.selfMetrics || !deps.sink.configured()) return;
      const at = deps.now();
      if (at - lastAt < MIN_GAP_MS) return;
      if (!instanceId) {
        loading ??= loadInstanceId().finally(() => (loading = undefined));
        return;
      }
      lastAt = at;
      const metrics = exporterMetricsFromHealth(deps.health(), {
        outboxMaxGroups: settings.reliability.outboxMaxGroups,
        pushIntervalSeconds: settings.pushIntervalMs / 1000,
        calls: deps.counters(),
      });
      // The agent id is common to the whole group: in the grouping key, not on every sample.
      const key: Record<string, string> = { exporter_instance: instanceId };
      if (settings.agentId) key.agent_id = settings.agentId;
      deps.sink.put(SELF_GROUP_ID, key, encodeExporterMetrics(metrics, {}), at);
      lastKey = key;
    },
    /** The grouping key of the self group as last put (null before the first), so a gateway change can delete it at the old gateway. */
    lastGroupingKey(): Record<string, string> | null {
      return lastKey ? { ...lastKey } : null;
    },
  };
}
