import type { BufferedRow } from '../../utils/export/sample-buffer';
import { connectionGroupingKey } from '../../utils/metrics/export-profiles';
import { encodeExporterMetrics } from '../../utils/metrics/exporter-metrics';
import { encodeQualityWindow } from '../../utils/metrics/quality-encoder';
import { createQualityWindow } from '../../utils/quality/quality-window';
import { qualityThresholdsSchema, type ConnectionWindow, type QualityClass } from '../../utils/quality/quality-types';
import { loadFixture, reportTime, type FixtureName } from '../../tests/fixtures/load-fixture';
import { parseExposition } from '../../tests/unit/metrics/exposition-parser';

/**
 * What a simulated agent sends, made the way the extension makes it with its default settings
 * (export profile `quality`, self-metrics on): the recorded Chromium 2-PC audio+video calls are
 * replayed once through the product's quality engine, and every push encodes a window of them
 * with the product's quality encoder, so the series count per call is the quality profile's.
 * Clean calls replay `chromium-av-loopback`; a share of calls (`poorShare`) replay
 * `chromium-impaired-loopback` (5 % loss, 340 ms RTT), whose windows move between `poor` and
 * `fair` and so also mint the class/reason series a real bad call mints.
 */

/** The platform and origin the simulated agents work on (Amazon Connect CCP, a contact centre's usual page). */
const PLATFORM = 'connect';
const ORIGIN = 'https://fleet.my.connect.aws';

/** One call of one agent, as the source needs it. */
export interface FleetCall {
  agentId: string;
  callId: string;
  /** The two peer connections' group ids. */
  pcIds: readonly [string, string];
  /** When the call started, Unix ms (`webrtc_connection_start_timestamp_seconds`). */
  startedAt: number;
  /** Pushes of this call so far: the first push of a connection has no window yet, as in the extension. */
  pushes: number;
  /** Whether this call replays the impaired recording. */
  poor: boolean;
}

/** The per-browser figures the agent's self-metrics group carries. */
export interface FleetAgentCounters {
  instanceId: string;
  agentId: string;
  pushesOk: number;
  pushesFailed: number;
  deletesOk: number;
  callsStarted: number;
  /** Ended calls by final class. */
  callsEnded: Partial<Record<QualityClass, number>>;
  lastSuccessAt: number | null;
  /** Connections tracked now: 2 in a call, 0 between calls. */
  connections: number;
}

/** One Pushgateway group's body, and the same series as remote-write rows (grouping labels included). */
export interface FleetGroup {
  groupingKey: Record<string, string>;
  text: string;
  /** Series in the body. */
  series: number;
  /** Lazily parsed: only the remote-write path and series tracking need them. */
  rows(job: string): BufferedRow[];
}

export interface FleetSource {
  /** Share of calls that replay the impaired recording (the simulator draws it per call). */
  poorShare: number;
  /** Series of one clean call once it has a window (both connections): the quality profile's count. */
  seriesPerCall: number;
  /** The final class of a call (worst window class seen), for the self group's ended counter. */
  finalClass(call: FleetCall): QualityClass;
  /** The connections' groups for the call's next push (advances nothing: the caller counts pushes). */
  connectionGroups(call: FleetCall): FleetGroup[];
  /** The agent's self-metrics group (`exporter_instance` + `agent_id`). */
  selfGroup(counters: FleetAgentCounters): FleetGroup;
}

/** Options of {@link createQualitySource}. */
export interface QualitySourceOptions {
  /** Share of calls that replay the impaired recording, 0–1. Default 0.1. */
  poorShare?: number;
  /** The push interval the agents use (the self group reports it), ms. Default 10,000 (the extension's default). */
  pushIntervalMs?: number;
}

/** Each side's windows of a recorded call, replayed through the quality engine at the recorded times. */
function replay(name: FixtureName): ConnectionWindow[][] {
  const thresholds = qualityThresholdsSchema.parse({});
  return loadFixture(name).pcs.map((pc) => {
    const engine = createQualityWindow({ thresholds: () => thresholds });
    const windows: ConnectionWindow[] = [];
    (pc.samples ?? [pc.stats]).forEach((stats, index) => {
      const at = reportTime(stats);
      engine.add(stats, at);
      if (index === 0) return;
      const window = engine.take(at);
      if (window) windows.push(window);
    });
    if (windows.length === 0) throw new Error(`${name}: the recorded call gave no quality window`);
    return windows;
  });
}

const CLASS_RANK: Record<QualityClass, number> = { good: 0, fair: 1, poor: 2 };

function worstClass(windows: ConnectionWindow[][]): QualityClass {
  let worst: QualityClass = 'good';
  for (const window of windows.flat()) if (CLASS_RANK[window.qualityClass] > CLASS_RANK[worst]) worst = window.qualityClass;
  return worst;
}

function group(groupingKey: Record<string, string>, text: string, series: number): FleetGroup {
  return {
    groupingKey,
    text,
    series,
    rows: (job) =>
      parseExposition(text)
        .filter((line) => line.kind === 'sample')
        .map((line) => ({ name: line.name, labels: { job, ...groupingKey, ...line.labels }, value: Number(line.value) })),
  };
}

/** Creates the source (replays the recordings once; encoding per push is the product's encoder). */
export function createQualitySource(options: QualitySourceOptions = {}): FleetSource {
  const poorShare = options.poorShare ?? 0.1;
  const pushIntervalSeconds = (options.pushIntervalMs ?? 10_000) / 1000;
  if (!(poorShare >= 0 && poorShare <= 1)) throw new Error(`poorShare must be within 0..1 (got ${poorShare})`);
  const clean = replay('chromium-av-loopback');
  const impaired = replay('chromium-impaired-loopback');
  const cleanClass = worstClass(clean);
  const impairedClass = worstClass(impaired);
  const seriesPerCall = clean.reduce((sum, windows) => sum + encodeQualityWindow(windows[0]!, Date.now()).series, 0);

  return {
    poorShare,
    seriesPerCall,
    finalClass: (call) => (call.poor ? impairedClass : cleanClass),
    connectionGroups(call) {
      const recording = call.poor ? impaired : clean;
      return call.pcIds.map((pcId, index) => {
        const windows = recording[index % recording.length]!;
        // The extension sends a new connection at once, before it has two snapshots: no window yet.
        const window = call.pushes === 0 ? null : windows[(call.pushes - 1) % windows.length]!;
        const encoded = encodeQualityWindow(window, call.startedAt);
        const key = connectionGroupingKey('quality', {
          groupId: pcId,
          callId: call.callId,
          labels: { agent_id: call.agentId, platform: PLATFORM, origin: ORIGIN },
        });
        return group(key, encoded.text, encoded.series);
      });
    },
    selfGroup(counters) {
      const ended: Record<string, number> = {};
      for (const [qualityClass, count] of Object.entries(counters.callsEnded)) ended[`${PLATFORM}/${qualityClass}`] = count;
      const text = encodeExporterMetrics(
        {
          pushesOk: counters.pushesOk,
          pushesFailed: counters.pushesFailed,
          deletesOk: counters.deletesOk,
          breakerState: 'closed',
          outboxGroups: 0,
          outboxBytes: 0,
          outboxMaxGroups: 500,
          pushIntervalSeconds,
          calls: { started: { [PLATFORM]: counters.callsStarted * 2 }, ended },
          pendingDeletes: 0,
          rejectedGroups: 0,
          connections: counters.connections,
          // The page hook polls every 2 s per connection: five reports per connection per push.
          reportsAccepted: counters.pushesOk * 5,
          lastSuccessAt: counters.lastSuccessAt,
          drops: {},
          degraded: false,
        },
        {},
      );
      const key = { exporter_instance: counters.instanceId, agent_id: counters.agentId };
      return group(key, text, text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length);
    },
  };
}
