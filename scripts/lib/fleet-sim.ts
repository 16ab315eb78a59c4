import fs from 'node:fs';
import { buildGroupUrl } from '../../utils/export/pushgateway-client';
import { encodeRemoteWriteBody } from '../../utils/export/remote-write-encoder';
import type { BufferedRow } from '../../utils/export/sample-buffer';
import { startPushgateway } from '../../tests/e2e/support/pushgateway';
import { startPrometheusReceiver, startVictoriaMetrics } from '../../tests/e2e/support/remote-write-receivers';

/**
 * A fleet of simulated agents pushing one call's metrics at the product's push cadence to a
 * local target, stepped up until the target errs or its p99 latency passes a bound. What each
 * agent sends comes from `source` (built by the product's own encoder from recorded reports).
 */

export type FleetTarget = 'pushgateway' | 'remote-write' | 'vm';

/** One push window of one agent's call: Pushgateway groups (text) and remote-write rows. */
export interface AgentWindow {
  groups: { groupingKey: Record<string, string>; text: string }[];
  rows: BufferedRow[];
}

/** Builds what an agent sends for one window of its current call. */
export type WindowSource = (agent: { agentId: string; callId: string; pcIds: string[] }, at: number) => AgentWindow;

export interface FleetOptions {
  target: FleetTarget;
  source: WindowSource;
  /** Agents per step, in order; the run stops at the first step that fails the bounds. */
  steps: number[];
  /** Seconds each step runs (after a ramp of one push interval). */
  stepSeconds: number;
  pushIntervalMs: number;
  /** Call length range, seconds; between calls an agent idles 5–30 s. */
  callSeconds: [number, number];
  /** A step fails when p99 latency exceeds this (ms) or any request errs. */
  maxP99Ms: number;
  job?: string;
  log?: (line: string) => void;
}

export interface StepFigures {
  agents: number;
  requests: number;
  errors: number;
  /** Errors by HTTP status or `network`, with the first message seen for each. */
  errorKinds: Record<string, { count: number; example: string }>;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
  samplesPerSecond: number;
  bytesPerSecond: number;
  /** Target process CPU, % of one core, over the step. */
  targetCpuPercent: number;
  targetRssMiB: number;
  /** Series the target holds (Pushgateway) or saw in the last 5 minutes (receivers). */
  series: number;
  /** Calls that ended during the step (each retires its series: churn). */
  callsEnded: number;
  ok: boolean;
}

export interface FleetResult {
  target: FleetTarget;
  steps: StepFigures[];
  /** Agents of the largest step that stayed within the bounds (0 if none did). */
  sustainedAgents: number;
  seriesPerCall: number;
}

interface Agent {
  agentId: string;
  callId: string;
  pcIds: string[];
  callEndsAt: number;
  idleUntil: number;
  nextPushAt: number;
  calls: number;
  /** The agent's requests go one after another, as the extension's do (a receiver refuses out-of-order samples). */
  queue: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the simulation against a target it starts and stops itself (loopback only). */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const log = options.log ?? (() => {});
  const job = options.job ?? 'fleet-sim';
  const target = await startTarget(options.target);
  const agents: Agent[] = [];
  const steps: StepFigures[] = [];
  let seq = 0;
  const random = (min: number, max: number) => min + Math.random() * (max - min);

  function newCall(agent: Agent, now: number): void {
    agent.calls++;
    agent.callId = `call-${agent.agentId}-${agent.calls}`;
    agent.pcIds = [`pc-${++seq}`, `pc-${++seq}`];
    agent.callEndsAt = now + random(options.callSeconds[0], options.callSeconds[1]) * 1000;
    agent.idleUntil = 0;
  }

  let requests = 0;
  let errors = 0;
  let bytes = 0;
  let samples = 0;
  let callsEnded = 0;
  let latencies: number[] = [];
  let errorKinds: Record<string, { count: number; example: string }> = {};
  const noteError = (kind: string, message: string) => {
    errors++;
    const entry = (errorKinds[kind] ??= { count: 0, example: message.slice(0, 200) });
    entry.count++;
  };
  const inFlight = new Set<Promise<void>>();

  function send(agent: Agent, url: string, init: RequestInit, size: number): void {
    requests++;
    bytes += size;
    let started = 0;
    const request = agent.queue
      .then(() => {
        started = performance.now();
        return fetch(url, init);
      })
      .then(async (response) => {
        const text = await response.text();
        if (!response.ok) noteError(String(response.status), text);
      })
      .catch((error: unknown) => {
        noteError('network', error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error));
      })
      .finally(() => {
        latencies.push(performance.now() - started);
        inFlight.delete(request);
      });
    inFlight.add(request);
    agent.queue = request;
  }

  function pushWindow(agent: Agent, now: number): void {
    const window = options.source({ agentId: agent.agentId, callId: agent.callId, pcIds: agent.pcIds }, now);
    samples += window.rows.length;
    if (target.kind === 'pushgateway') {
      for (const group of window.groups) {
        const built = buildGroupUrl(target.url, job, group.groupingKey);
        if ('error' in built) throw new Error(built.error);
        send(agent, built.url, { method: 'PUT', body: group.text, headers: { 'Content-Type': 'text/plain; version=0.0.4' } }, group.text.length);
      }
    } else {
      const body = encodeRemoteWriteBody([
        ...window.rows.map((row) => ({ name: row.name, labels: { job, ...row.labels }, samples: [{ value: row.value, timestampMs: now }] })),
      ]);
      send(agent, target.writeUrl, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' } }, body.length);
    }
  }

  function endCall(agent: Agent, now: number): void {
    callsEnded++;
    if (target.kind === 'pushgateway') {
      for (const pcId of agent.pcIds) {
        const built = buildGroupUrl(target.url, job, { agent_id: agent.agentId, call_id: agent.callId, peer_connection_id: pcId });
        if (!('error' in built)) send(agent, built.url, { method: 'DELETE' }, 0);
      }
    }
    agent.idleUntil = now + random(5, 30) * 1000;
  }

  const seriesPerCall = options.source({ agentId: 'probe', callId: 'probe', pcIds: ['pc-a', 'pc-b'] }, Date.now()).rows.length;
  try {
    for (const count of options.steps) {
      const start = Date.now();
      while (agents.length < count) {
        const agent: Agent = { agentId: `agent-${agents.length + 1}`, callId: '', pcIds: [], callEndsAt: 0, idleUntil: 0, nextPushAt: 0, calls: 0, queue: Promise.resolve() };
        newCall(agent, start);
        // Spread the first pushes over one interval, as a real fleet's clocks are.
        agent.nextPushAt = start + Math.random() * options.pushIntervalMs;
        agents.push(agent);
      }
      // Ramp: one interval for every agent to have pushed once, then measure.
      await drive(start + options.pushIntervalMs);
      requests = errors = bytes = samples = callsEnded = 0;
      latencies = [];
      errorKinds = {};
      const pid = target.pid();
      const cpuBefore = cpuSeconds(pid);
      const measuredFrom = Date.now();
      await drive(measuredFrom + options.stepSeconds * 1000);
      await Promise.all([...inFlight]);
      const seconds = (Date.now() - measuredFrom) / 1000;
      const sorted = latencies.sort((a, b) => a - b);
      const figures: StepFigures = {
        agents: count,
        requests,
        errors,
        errorKinds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        requestsPerSecond: requests / seconds,
        samplesPerSecond: samples / seconds,
        bytesPerSecond: bytes / seconds,
        targetCpuPercent: ((cpuSeconds(pid) - cpuBefore) / seconds) * 100,
        targetRssMiB: rssMiB(pid),
        series: await target.series(),
        callsEnded,
        ok: false,
      };
      figures.ok = figures.errors === 0 && figures.p99Ms <= options.maxP99Ms;
      steps.push(figures);
      log(
        `${options.target}: ${count} agents: ${figures.requestsPerSecond.toFixed(0)} req/s, p50 ${figures.p50Ms.toFixed(0)} ms, p99 ${figures.p99Ms.toFixed(0)} ms, ` +
          `errors ${errors}${errors ? ` ${JSON.stringify(errorKinds)}` : ''}, target CPU ${figures.targetCpuPercent.toFixed(0)} %, RSS ${figures.targetRssMiB.toFixed(0)} MiB, series ${figures.series}`,
      );
      if (!figures.ok) break;
    }
  } finally {
    await Promise.all([...inFlight]);
    await target.stop();
  }
  const passing = steps.filter((step) => step.ok);
  return { target: options.target, steps, sustainedAgents: passing.length ? passing[passing.length - 1]!.agents : 0, seriesPerCall };

  async function drive(until: number): Promise<void> {
    while (Date.now() < until) {
      const now = Date.now();
      for (const agent of agents) {
        if (agent.idleUntil > 0) {
          if (now >= agent.idleUntil) {
            newCall(agent, now);
            agent.nextPushAt = now;
          }
          continue;
        }
        if (now >= agent.callEndsAt) {
          endCall(agent, now);
          continue;
        }
        if (now >= agent.nextPushAt) {
          pushWindow(agent, now);
          agent.nextPushAt += options.pushIntervalMs;
        }
      }
      await sleep(20);
    }
  }
}

interface RunningTarget {
  kind: 'pushgateway' | 'receiver';
  url: string;
  writeUrl: string;
  pid(): number | undefined;
  series(): Promise<number>;
  stop(): Promise<void>;
}

async function startTarget(kind: FleetTarget): Promise<RunningTarget> {
  if (kind === 'pushgateway') {
    const gateway = await startPushgateway();
    return {
      kind: 'pushgateway',
      url: gateway.url,
      writeUrl: '',
      pid: gateway.pid,
      async series() {
        const text = await gateway.text();
        return text.split('\n').filter((line) => line.startsWith('webrtc_')).length;
      },
      stop: gateway.stop,
    };
  }
  const receiver = kind === 'vm' ? await startVictoriaMetrics() : await startPrometheusReceiver();
  return {
    kind: 'receiver',
    url: receiver.url,
    writeUrl: receiver.writeUrl,
    pid: receiver.pid,
    async series() {
      await receiver.flush();
      const [result] = await receiver.query('count({__name__=~"webrtc_.+"})');
      return result ? Number(result.value[1]) : 0;
    },
    stop: receiver.stop,
  };
}
