import fs from 'node:fs';
import { startPushgateway } from '../../tests/e2e/support/pushgateway';
import { startPrometheusReceiver, startVictoriaMetrics } from '../../tests/e2e/support/remote-write-receivers';

/**
 * The targets of the fleet simulation, started on loopback by the existing e2e helpers, with
 * what the simulation reads from each: CPU and RSS from /proc, the series it holds and the
 * series it has created (the receivers' own counters; the Pushgateway has none).
 */

export type FleetTarget = 'pushgateway' | 'remote-write' | 'vm';

export const FLEET_TARGETS: readonly FleetTarget[] = ['pushgateway', 'remote-write', 'vm'];

export interface RunningTarget {
  kind: 'pushgateway' | 'receiver';
  /** Pushgateway base URL, or the receiver's write URL. */
  url: string;
  pid(): number | undefined;
  /**
   * Series the target holds: the Pushgateway's `webrtc_` series now; a receiver's `webrtc_`
   * series with a sample since `sinceMs` (Unix ms; the run's start).
   */
  series(sinceMs: number): Promise<number>;
  /** Call ids of the Pushgateway's groups (empty for receivers: their series end by themselves). */
  groupCallIds(): Promise<string[]>;
  /** The receiver's own count of series it ever created, or null (Pushgateway). */
  seriesCreated(): Promise<number | null>;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) of a process so far, from /proc (clock ticks are 100 Hz on Linux). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Field 2 (comm) may hold spaces: count from the closing parenthesis.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory of a process, MiB, from /proc. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The value of one unlabelled counter in a `/metrics` page, or null when absent. */
function counterValue(text: string, name: string): number | null {
  const match = new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

/** Options of {@link startFleetTarget}. */
export interface FleetTargetOptions {
  /**
   * Start the Pushgateway with `--push.disable-consistency-check` (its docs call that dangerous:
   * one inconsistent push then breaks every scrape). Default false.
   */
  noConsistencyCheck?: boolean;
}

/** Starts a target on a free loopback port; `stop()` removes its data. */
export async function startFleetTarget(kind: FleetTarget, options: FleetTargetOptions = {}): Promise<RunningTarget> {
  if (kind === 'pushgateway') {
    const gateway = await startPushgateway({ noConsistencyCheck: options.noConsistencyCheck ?? false });
    return {
      kind: 'pushgateway',
      url: gateway.url,
      pid: gateway.pid,
      async series() {
        const text = await gateway.text();
        return text.split('\n').filter((line) => line.startsWith('webrtc_')).length;
      },
      async groupCallIds() {
        return (await gateway.groups()).flatMap((labels) => (labels.call_id ? [labels.call_id] : []));
      },
      seriesCreated: async () => null,
      stop: gateway.stop,
    };
  }
  const receiver = kind === 'vm' ? await startVictoriaMetrics() : await startPrometheusReceiver();
  // Prometheus counts series created in its head block; VictoriaMetrics counts new series ids.
  const createdCounter = kind === 'vm' ? 'vm_new_timeseries_created_total' : 'prometheus_tsdb_head_series_created_total';
  return {
    kind: 'receiver',
    url: receiver.writeUrl,
    pid: receiver.pid,
    async series(sinceMs) {
      await receiver.flush();
      // last_over_time over the whole run: an instant selector's lookback (5 min in Prometheus, a
      // few sample intervals in VictoriaMetrics) would hide ended calls' series. Evaluated a minute
      // ahead: VictoriaMetrics leaves out the newest samples at "now".
      const at = Date.now() / 1000 + 60;
      const windowSeconds = Math.ceil(at - sinceMs / 1000) + 60;
      const [result] = await receiver.query(`count(last_over_time({__name__=~"webrtc_.+"}[${windowSeconds}s]))`, at);
      return result ? Number(result.value[1]) : 0;
    },
    groupCallIds: async () => [],
    async seriesCreated() {
      await receiver.flush();
      const text = await (await fetch(`${receiver.url}/metrics`)).text();
      return counterValue(text, createdCounter);
    },
    stop: receiver.stop,
  };
}
