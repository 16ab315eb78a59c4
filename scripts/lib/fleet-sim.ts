import os from 'node:os';
import { createPushgatewayClient } from '../../utils/export/pushgateway-client';
import type { GatewayResult } from '../../utils/export/http-request';
import { createRemoteWriteClient } from '../../utils/export/remote-write-client';
import type { RemoteWriteSeries } from '../../utils/export/remote-write-encoder';
import type { CallSchedule } from './fleet-churn';
import type { FleetAgentCounters, FleetCall, FleetGroup, FleetSource } from './fleet-source';
import { cpuSeconds, rssMiB, startFleetTarget, type FleetTarget } from './fleet-targets';

/**
 * A fleet of simulated agents, each taking call after call (see fleet-churn.ts), pushing what the
 * extension pushes (fleet-source.ts) at its push cadence through the product's own clients to a
 * target started on loopback, stepped up until the target errs or its p99 request latency passes
 * a bound. On the Pushgateway path an ended call's groups are deleted, as the extension does; on
 * remote-write its series simply stop.
 */

export interface FleetOptions {
  target: FleetTarget;
  source: FleetSource;
  schedule: CallSchedule;
  /** Agents per step, in order; the run stops at the first step that fails the bounds. */
  steps: number[];
  /** Seconds each step is measured (after a ramp of one push interval). */
  stepSeconds: number;
  /** Each agent's push interval, ms (the extension's default is 10,000). */
  pushIntervalMs: number;
  /** A step fails when its p99 request latency exceeds this (ms) or any request errs. */
  maxP99Ms: number;
  /** No step starts that would end later than this many ms after the run started. Default: no bound. */
  maxRunMs?: number;
  /** Per-request timeout, ms (a timeout counts as an error). Default 10,000. */
  requestTimeoutMs?: number;
  /**
   * Measurements of a step before it counts as failed: a loaded machine stalls now and then, so a
   * failed step is measured once more by default. Default 2.
   */
  attemptsPerStep?: number;
  /** Start the Pushgateway with `--push.disable-consistency-check`. Default false. */
  noConsistencyCheck?: boolean;
  /** Pushgateway job / remote-write `job` label. Default `fleet-sim`. */
  job?: string;
  log?: (line: string) => void;
}

export interface StepFigures {
  agents: number;
  /** 1, or 2 when the step failed once and was measured again. */
  attempt: number;
  /** Measured seconds. */
  seconds: number;
  requests: number;
  errors: number;
  /** Errors by HTTP status or kind (timeout, network), with the first message seen for each. */
  errorKinds: Record<string, { count: number; example: string }>;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
  /** Series values sent per second (every series of every pushed body counts once per push). */
  samplesPerSecond: number;
  /** Request body bytes per second as sent (Pushgateway bodies gzipped, remote-write snappy). */
  bytesPerSecond: number;
  /** Target process CPU over the step, % of one core (/proc/PID/stat). */
  targetCpuPercent: number;
  /** Target CPU per request, ms: less sensitive to a loaded machine than the agents sustained. */
  targetCpuMsPerRequest: number;
  /** Target CPU per 1,000 samples, ms. */
  targetCpuMsPerThousandSamples: number;
  /** Target resident memory at the end of the step (/proc/PID/status). */
  targetRssMiB: number;
  /** The simulator's own CPU over the step, % of one core: it shares the machine with the target. */
  generatorCpuPercent: number;
  /** Series the target holds (Pushgateway) or received since the run started (receivers). */
  series: number;
  /**
   * What the target should hold by the simulator's account: the Pushgateway the series of every
   * live group's last push; a receiver every distinct series sent since the run started.
   */
  expectedSeries: number;
  /** New series per hour at this step's rate, by the simulator's count (new call ids, new class/reason labels). */
  seriesCreatedPerHour: number;
  /** New series per hour by the receiver's own counter; null for the Pushgateway (it has none). */
  targetSeriesCreatedPerHour: number | null;
  callsStarted: number;
  callsEnded: number;
  /** Groups deleted (Pushgateway path) during the step. */
  deletes: number;
  /** Pushgateway groups of calls that had ended, still there at the end of the step (should be 0). */
  leftoverGroups: number;
  /** `os.loadavg()` at the end of the step: 1, 5 and 15 minutes. */
  loadAverage: number[];
  ok: boolean;
}

export interface FleetResult {
  target: FleetTarget;
  steps: StepFigures[];
  /** Agents of the largest step with a measurement within the bounds (0 if none had one). */
  sustainedAgents: number;
  /** Why stepping stopped. */
  stoppedBy: 'bounds' | 'time' | 'all-steps-passed';
  /** Series of one clean call (both connections): the quality profile's count. */
  seriesPerCall: number;
  loadAverageAtStart: number[];
}

interface TrackedGroup {
  /** Every series key this group has sent (for the created count). */
  keys: Set<string>;
  /** Series of its last push. */
  series: number;
}

interface Agent {
  counters: FleetAgentCounters;
  call: FleetCall | null;
  /** When the current call or gap ends. */
  nextEventAt: number;
  nextPushAt: number;
  /** The agent's requests go one after another, as the extension's do (a receiver refuses out-of-order samples). */
  queue: Promise<void>;
  groups: Map<string, TrackedGroup>;
  /** Time of the agent's last remote-write samples, Unix ms. */
  lastSampleAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function bodyBytes(body: RequestInit['body']): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

/** The series keys of an exposition body: each sample line without its value. */
function seriesKeys(text: string): string[] {
  const keys: string[] = [];
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) keys.push(line.slice(0, line.lastIndexOf(' ')));
  return keys;
}

const groupId = (key: Record<string, string>) => JSON.stringify(key);

/** Runs the simulation against a target it starts and stops itself (loopback only). */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const log = options.log ?? (() => {});
  const job = options.job ?? 'fleet-sim';
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const { source, schedule } = options;
  const runStartedAt = Date.now();
  const loadAverageAtStart = os.loadavg();
  const target = await startFleetTarget(options.target, { noConsistencyCheck: options.noConsistencyCheck ?? false });

  // Every request goes through here: its latency and body size are what the figures count.
  let latencies: number[] = [];
  let bytes = 0;
  const measuredFetch = async (input: string, init: RequestInit): Promise<Response> => {
    bytes += bodyBytes(init.body);
    const started = performance.now();
    try {
      return await fetch(input, init);
    } finally {
      latencies.push(performance.now() - started);
    }
  };
  const gateway = createPushgatewayClient(() => ({ url: target.url, job, username: '', password: '', gzip: true, timeoutMs }), measuredFetch);
  const receiver = createRemoteWriteClient(() => ({ url: target.url, username: '', password: '', bearerToken: '', timeoutMs }), measuredFetch);

  const agents: Agent[] = [];
  const steps: StepFigures[] = [];
  const endedCallIds = new Set<string>();
  let seq = 0;
  let requests = 0;
  let errors = 0;
  let samples = 0;
  let callsStarted = 0;
  let callsEnded = 0;
  let deletes = 0;
  let seriesCreated = 0;
  let seriesSentTotal = 0;
  let errorKinds: Record<string, { count: number; example: string }> = {};
  const inFlight = new Set<Promise<void>>();

  function noteError(result: Exclude<GatewayResult, { kind: 'ok' }>): void {
    errors++;
    const kind = result.kind === 'http' ? String(result.status) : result.kind;
    const entry = (errorKinds[kind] ??= { count: 0, example: result.message.slice(0, 200) });
    entry.count++;
  }

  function enqueue(agent: Agent, what: 'push' | 'delete', send: () => Promise<GatewayResult>): void {
    requests++;
    const request = agent.queue
      .then(send)
      .then((result) => {
        if (result.kind === 'ok') {
          if (what === 'push') agent.counters.pushesOk++;
          else agent.counters.deletesOk++;
          agent.counters.lastSuccessAt = Date.now();
        } else {
          agent.counters.pushesFailed++;
          noteError(result);
        }
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
    agent.queue = request;
  }

  function track(agent: Agent, group: FleetGroup): void {
    const id = groupId(group.groupingKey);
    let tracked = agent.groups.get(id);
    if (!tracked) agent.groups.set(id, (tracked = { keys: new Set(), series: 0 }));
    tracked.series = group.series;
    for (const key of seriesKeys(group.text)) {
      if (tracked.keys.has(key)) continue;
      tracked.keys.add(key);
      seriesCreated++;
      seriesSentTotal++;
    }
  }

  /** Pushes the call's groups and (unless `callOnly`) the self group. */
  function push(agent: Agent, now: number, callOnly = false): void {
    const groups = [...(agent.call ? source.connectionGroups(agent.call) : []), ...(callOnly ? [] : [source.selfGroup(agent.counters)])];
    if (agent.call) agent.call.pushes++;
    for (const group of groups) {
      track(agent, group);
      samples += group.series;
    }
    if (target.kind === 'pushgateway') {
      for (const group of groups) enqueue(agent, 'push', () => gateway.push(group.groupingKey, group.text));
      return;
    }
    // One request per push interval with every series of the agent, each sample with its own time;
    // an agent's times only go forward (a receiver refuses a second, different value at the same ms).
    const at = (agent.lastSampleAt = Math.max(now, agent.lastSampleAt + 1));
    const series: RemoteWriteSeries[] = groups.flatMap((group) =>
      group.rows(job).map((row) => ({ name: row.name, labels: row.labels, samples: [{ value: row.value, timestampMs: at }] })),
    );
    enqueue(agent, 'push', () => receiver.write(series));
  }

  function startCall(agent: Agent, now: number, elapsedMs: number, remainingMs: number): void {
    callsStarted++;
    agent.counters.callsStarted++;
    agent.counters.connections = 2;
    const id = (++seq).toString(36);
    agent.call = {
      agentId: agent.counters.agentId,
      callId: `call-${id}`,
      pcIds: [`pc-${id}-a`, `pc-${id}-b`],
      startedAt: now - elapsedMs,
      // A call already under way when its agent joins the run has had its first push.
      pushes: elapsedMs > 0 ? 1 : 0,
      poor: schedule.random() < source.poorShare,
    };
    agent.nextEventAt = now + remainingMs;
  }

  function endCall(agent: Agent, now: number): void {
    const call = agent.call!;
    callsEnded++;
    endedCallIds.add(call.callId);
    // The extension sends an ended connection's last window: on remote-write its series' final samples.
    if (target.kind === 'receiver') push(agent, now, true);
    for (const group of source.connectionGroups(call)) {
      agent.groups.delete(groupId(group.groupingKey));
      if (target.kind === 'pushgateway') {
        deletes++;
        enqueue(agent, 'delete', () => gateway.delete(group.groupingKey));
      }
    }
    const finalClass = source.finalClass(call);
    agent.counters.callsEnded[finalClass] = (agent.counters.callsEnded[finalClass] ?? 0) + 1;
    agent.counters.connections = 0;
    agent.call = null;
    agent.nextEventAt = now + schedule.gapMs();
  }

  function addAgent(now: number): void {
    const number = agents.length + 1;
    const agent: Agent = {
      counters: {
        agentId: `agent-${number}`,
        instanceId: `fleet${number.toString(36).padStart(6, '0')}`,
        pushesOk: 0,
        pushesFailed: 0,
        deletesOk: 0,
        callsStarted: 0,
        callsEnded: {},
        lastSuccessAt: null,
        connections: 0,
      },
      call: null,
      nextEventAt: 0,
      // Spread the first pushes over one interval, as a real fleet's clocks are.
      nextPushAt: now + schedule.random() * options.pushIntervalMs,
      queue: Promise.resolve(),
      groups: new Map(),
      lastSampleAt: 0,
    };
    const phase = schedule.initialPhase();
    if (phase.inCall) startCall(agent, now, phase.elapsedMs, phase.remainingMs);
    else agent.nextEventAt = now + phase.remainingMs;
    agents.push(agent);
  }

  async function drive(until: number): Promise<void> {
    while (Date.now() < until) {
      const now = Date.now();
      for (const agent of agents) {
        if (now >= agent.nextEventAt) {
          if (agent.call) endCall(agent, now);
          else {
            startCall(agent, now, 0, schedule.callMs());
            // A new connection's first snapshot goes out at once (the self group keeps its own cadence).
            push(agent, now, true);
          }
        }
        if (now >= agent.nextPushAt) {
          push(agent, now);
          agent.nextPushAt += options.pushIntervalMs;
        }
      }
      await sleep(20);
    }
  }

  function expectedSeries(): number {
    if (target.kind === 'receiver') return seriesSentTotal;
    let sum = 0;
    for (const agent of agents) for (const group of agent.groups.values()) sum += group.series;
    return sum;
  }

  /** Measures `stepSeconds` with the agents there are now. */
  async function measure(count: number, attempt: number): Promise<StepFigures> {
    requests = errors = bytes = samples = callsStarted = callsEnded = deletes = seriesCreated = 0;
    latencies = [];
    errorKinds = {};
    const pid = target.pid();
    const cpuBefore = cpuSeconds(pid);
    const ownCpuBefore = process.cpuUsage();
    const createdBefore = await target.seriesCreated();
    const measuredFrom = Date.now();
    await drive(measuredFrom + options.stepSeconds * 1000);
    await Promise.all([...inFlight]);
    const seconds = (Date.now() - measuredFrom) / 1000;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const targetCpu = cpuSeconds(pid) - cpuBefore;
    const createdAfter = await target.seriesCreated();
    const sorted = latencies.sort((a, b) => a - b);
    const live = new Set(agents.flatMap((agent) => (agent.call ? [agent.call.callId] : [])));
    const figures: StepFigures = {
      agents: count,
      attempt,
      seconds,
      requests,
      errors,
      errorKinds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      requestsPerSecond: requests / seconds,
      samplesPerSecond: samples / seconds,
      bytesPerSecond: bytes / seconds,
      targetCpuPercent: (targetCpu / seconds) * 100,
      targetCpuMsPerRequest: requests ? (targetCpu * 1000) / requests : 0,
      targetCpuMsPerThousandSamples: samples ? (targetCpu * 1000 * 1000) / samples : 0,
      targetRssMiB: rssMiB(pid),
      generatorCpuPercent: ((ownCpu.user + ownCpu.system) / 1e6 / seconds) * 100,
      series: await target.series(runStartedAt),
      expectedSeries: expectedSeries(),
      seriesCreatedPerHour: (seriesCreated / seconds) * 3600,
      targetSeriesCreatedPerHour:
        createdBefore === null || createdAfter === null ? null : ((createdAfter - createdBefore) / seconds) * 3600,
      callsStarted,
      callsEnded,
      deletes,
      leftoverGroups: (await target.groupCallIds()).filter((callId) => endedCallIds.has(callId) && !live.has(callId)).length,
      loadAverage: os.loadavg(),
      ok: false,
    };
    figures.ok = figures.errors === 0 && figures.p99Ms <= options.maxP99Ms;
    log(
      `${options.target}: ${count} agents${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${figures.requestsPerSecond.toFixed(0)} req/s, ` +
        `${figures.samplesPerSecond.toFixed(0)} samples/s, ${(figures.bytesPerSecond / 1024).toFixed(0)} KiB/s, ` +
        `p50 ${figures.p50Ms.toFixed(0)} ms, p99 ${figures.p99Ms.toFixed(0)} ms, ` +
        `errors ${errors}${errors ? ` ${JSON.stringify(errorKinds)}` : ''}, target CPU ${figures.targetCpuPercent.toFixed(0)} % ` +
        `(${figures.targetCpuMsPerRequest.toFixed(2)} ms/request, ${figures.targetCpuMsPerThousandSamples.toFixed(1)} ms/1k samples), ` +
        `RSS ${figures.targetRssMiB.toFixed(0)} MiB, simulator CPU ${figures.generatorCpuPercent.toFixed(0)} %, ` +
        `series ${figures.series} (expected ${figures.expectedSeries}), created ${figures.seriesCreatedPerHour.toFixed(0)}/h` +
        `${figures.targetSeriesCreatedPerHour === null ? '' : ` (target's count ${figures.targetSeriesCreatedPerHour.toFixed(0)}/h)`}, ` +
        `calls +${callsStarted}/-${callsEnded}, load ${figures.loadAverage.map((value) => value.toFixed(2)).join(' ')}`,
    );
    return figures;
  }

  let stoppedBy: FleetResult['stoppedBy'] = 'all-steps-passed';
  try {
    steps: for (const count of options.steps) {
      const stepMs = options.pushIntervalMs + options.stepSeconds * 1000;
      if (options.maxRunMs !== undefined && steps.length > 0 && Date.now() + stepMs > runStartedAt + options.maxRunMs) {
        stoppedBy = 'time';
        break;
      }
      const start = Date.now();
      while (agents.length < count) addAgent(start);
      // Ramp: one interval for every new agent to have pushed once, then measure.
      await drive(start + options.pushIntervalMs);
      for (let attempt = 1; ; attempt++) {
        const figures = await measure(count, attempt);
        steps.push(figures);
        if (figures.ok) break;
        // A shared machine stalls now and then: a failed step is measured once more before it counts.
        if (attempt < (options.attemptsPerStep ?? 2)) continue;
        stoppedBy = 'bounds';
        break steps;
      }
    }
  } finally {
    await Promise.all([...inFlight]);
    await target.stop();
  }
  const passing = steps.filter((step) => step.ok);
  return {
    target: options.target,
    steps,
    sustainedAgents: passing.length ? passing[passing.length - 1]!.agents : 0,
    stoppedBy,
    seriesPerCall: source.seriesPerCall,
    loadAverageAtStart,
  };
}
