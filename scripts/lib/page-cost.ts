/**
 * The page's main-thread cost of capture, per poll, against one bare `getStats()` on the same
 * connections, measured side by side in one browser (npm run bench, docs/benchmarks.md).
 *
 * Meter: CDP `Performance.getMetrics` → `TaskDuration` of the call page, the time its renderer's
 * main thread spent running tasks. It counts whatever runs there, whoever asked for it: the
 * task that resolves a getStats() promise and builds its RTCStatsReport, the hook's shaping of it,
 * the postMessage to the relay, the relay's validation, coalescing and its post on the report port in the
 * isolated world, and the answers coming back. A bare `getStats()` is read by the same meter, so
 * the two figures carry the same overheads and blind spots (WebRTC's own threads are in neither).
 *
 * Phases of `phaseSeconds`, in a rotating order each round so that a drift in the machine's load
 * falls on all three alike:
 * - idle: capture off for the page's origin (the hook stays in the page, dormant), nothing polls;
 * - hook: capture on, the hook polls every connection every `intervalMs`;
 * - bare: capture off, a page script calls `getStats()` on every connection every `intervalMs`
 *   (started together, awaited one by one, as the hook does) and does nothing with the result.
 * The cost per poll is (phase task time − idle rate × phase length) / polls; polls are the reports
 * the background accepted (hook) and the calls the page made (bare). A report coalesced away in
 * the relay is not counted although its getStats() ran, so the hook's figure leans high.
 */
import os from 'node:os';
import type { CDPSession, Page } from 'playwright-core';
import { startCallRig, stopCallRig, type CallRig } from '../../tests/e2e/support/call-rig';
import { askBackground, configureExtension, connectionGroups, extensionHealth, extensionPage } from '../../tests/e2e/support/exporter-control';
import { waitFor } from '../../tests/e2e/support/free-port';
import { QUALITY_STAT_FIELDS } from '../../utils/quality/stat-fields';
import { FULL_READ_INTERVAL_MS } from '../../utils/webrtc/stats-shaper';

export interface PageCostOptions {
  extensionDir: string;
  /** Poll interval of the hook and of the bare poller, ms. Default 250 (many polls per phase). */
  intervalMs?: number;
  /** Length of one measured phase, seconds. Default 15. */
  phaseSeconds?: number;
  /** Rounds of the three phases. Default 3. */
  rounds?: number;
  /** Seconds to let a switch of capture settle before a phase is measured. Default 3. */
  settleSeconds?: number;
  log?: (line: string) => void;
}

type PhaseName = 'idle' | 'hook' | 'bare' | 'read';

export interface PhaseMeasure {
  phase: PhaseName;
  round: number;
  seconds: number;
  /** Main-thread task time of the page in the phase, seconds. */
  taskSeconds: number;
  /** getStats() calls made in the phase (0 when idle). */
  polls: number;
}

export interface PageCostResult {
  intervalMs: number;
  connections: number;
  phases: PhaseMeasure[];
  /** Main-thread time the hook adds per poll (one connection's getStats and all that follows), ms. */
  hookPerPollMs: number;
  /** Main-thread time one bare getStats() adds, ms. */
  barePerCallMs: number;
  /** Main-thread time of a page script that reads the same wanted stats and fields per call and nothing else, ms: the floor. */
  readPerCallMs: number;
  /** hookPerPollMs / barePerCallMs (target ≤ 1.2). */
  ratio: number;
  /** The same ratio per round, to show its spread. */
  roundRatios: number[];
  /** 1, 5 and 15-minute load averages at the start and at the end. */
  load: { start: number[]; end: number[] };
}

/**
 * A page script that polls every connection of the loopback page, counting calls; a string so no
 * bundler helper leaks in. `read` false: a bare getStats() that reads nothing of its result. `read`
 * true: the least any consumer of the quality fields does, the floor under the hook's cost: each
 * call reads the wanted stats by id (a full forEach every FULL_READ_INTERVAL_MS, as the hook does) and copies
 * their quality fields into plain objects, then drops them.
 */
function pollerScript(name: string, read: boolean): string {
  return `(() => {
  if (window.${name}) return;
  const fields = ${JSON.stringify(QUALITY_STAT_FIELDS)};
  const memo = new Map();
  let timer = null;
  let calls = 0;
  let kept = 0;
  function copy(value) {
    const out = { id: value.id, type: value.type, timestamp: value.timestamp };
    for (const key of fields[value.type]) { const v = value[key]; if (v !== undefined) out[key] = v; }
    return out;
  }
  function readReport(pc, report) {
    const m = memo.get(pc);
    const out = [];
    if (m && performance.now() - m.at < ${FULL_READ_INTERVAL_MS} && report.size === m.size) {
      for (const id of m.ids) { const v = report.get(id); if (v) out.push(copy(v)); }
    } else {
      report.forEach((v) => { if (fields[v.type]) out.push(copy(v)); });
      memo.set(pc, { ids: out.map((s) => s.id), size: report.size, at: performance.now() });
    }
    kept += out.length;
  }
  async function tick() {
    const pcs = window.e2e.allPcs().filter((pc) => pc.connectionState !== 'closed');
    const pending = pcs.map((pc) => pc.getStats());
    for (let i = 0; i < pending.length; i++) { const report = await pending[i]; ${read ? 'readReport(pcs[i], report);' : ''} calls++; }
  }
  window.${name} = {
    start(ms) { if (timer === null) timer = setInterval(() => { void tick(); }, ms); },
    stop() { if (timer !== null) clearInterval(timer); timer = null; },
    calls: () => calls,
    kept: () => kept,
  };
})()`;
}

interface PagePoller {
  start(ms: number): void;
  stop(): void;
  calls(): number;
}

async function taskSeconds(session: CDPSession): Promise<number> {
  const { metrics } = await session.send('Performance.getMetrics');
  const task = metrics.find((m) => m.name === 'TaskDuration');
  if (!task) throw new Error('Performance.getMetrics gave no TaskDuration');
  return task.value;
}

/** Pooled cost per poll of one phase kind: (its task time − the idle rate × its length) / its polls, in ms. */
export function costPerPoll(phases: PhaseMeasure[], kind: Exclude<PhaseName, 'idle'>): number {
  const idle = phases.filter((p) => p.phase === 'idle');
  const idleRate = idle.reduce((s, p) => s + p.taskSeconds, 0) / idle.reduce((s, p) => s + p.seconds, 0);
  const mine = phases.filter((p) => p.phase === kind);
  const extra = mine.reduce((s, p) => s + p.taskSeconds - idleRate * p.seconds, 0);
  const polls = mine.reduce((s, p) => s + p.polls, 0);
  return polls > 0 ? (1_000 * extra) / polls : Number.NaN;
}

/** Runs the three-phase comparison in one Chromium with the extension; cleans up everything it started. */
export async function measurePageCost(options: PageCostOptions): Promise<PageCostResult> {
  const intervalMs = options.intervalMs ?? 250;
  const phaseSeconds = options.phaseSeconds ?? 15;
  const rounds = options.rounds ?? 3;
  const settleMs = (options.settleSeconds ?? 3) * 1_000;
  const log = (line: string) => options.log?.(`page cost: ${line}`);
  const loadStart = os.loadavg();
  // Worker network inspection would not touch the page, but keep the bench's browsers alike.
  process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
  const rig: Partial<CallRig> = await startCallRig({ extensionDir: options.extensionDir });
  const { gateway, pages, browser } = rig as CallRig;
  try {
    await configureExtension(browser, { gateway: { url: gateway.url, job: 'page-cost' }, customOrigins: ['http://127.0.0.1/*'], intervalMs }, 'http://127.0.0.1/*');
    const page: Page = await browser.context.newPage();
    await page.goto(pages.pageUrl('call'));
    // One audio + video call: the report a meeting produces (25 stats objects per connection).
    await page.evaluate(() => window.startCall({ audio: true, video: true }));
    await waitFor(async () => (await connectionGroups(gateway)).length === 2, { timeoutMs: 30_000, what: 'two groups' });
    await page.evaluate(pollerScript('__barePoller', false));
    await page.evaluate(pollerScript('__readPoller', true));
    const control = await extensionPage(browser);
    const session = await page.context().newCDPSession(page);
    // Thread ticks: the durations are the main thread's CPU time, so a task the shared machine
    // preempts is not counted longer (wall-clock ticks would charge the machine's load to it).
    await session.send('Performance.enable', { timeDomain: 'threadTicks' });
    const setCapture = (enabled: boolean) => askBackground(control, 'setOriginCapture', { origin: pages.origin, enabled });
    const poller = (phase: PhaseName) => (phase === 'bare' ? '__barePoller' : '__readPoller');
    const pollerCall = (phase: PhaseName, method: 'start' | 'stop' | 'calls') =>
      page.evaluate(([name, m, ms]) => (window as unknown as Record<string, PagePoller>)[name]![m](ms), [poller(phase), method, intervalMs] as const);
    const hookPolls = async () => (await extensionHealth(browser)).reportsAccepted;

    const phases: PhaseMeasure[] = [];
    const kinds: PhaseName[] = ['idle', 'hook', 'bare', 'read'];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < kinds.length; i++) {
        const phase = kinds[(i + round) % kinds.length]!;
        await setCapture(phase === 'hook');
        const pagePoller = phase === 'bare' || phase === 'read';
        if (pagePoller) await pollerCall(phase, 'start');
        await page.waitForTimeout(settleMs);
        const count = phase === 'hook' ? hookPolls : pagePoller ? async () => Number(await pollerCall(phase, 'calls')) : async () => 0;
        const [task0, polls0, t0] = [await taskSeconds(session), await count(), performance.now()];
        await page.waitForTimeout(phaseSeconds * 1_000);
        const [task1, polls1, t1] = [await taskSeconds(session), await count(), performance.now()];
        if (pagePoller) await pollerCall(phase, 'stop');
        const measure = { phase, round, seconds: (t1 - t0) / 1_000, taskSeconds: task1 - task0, polls: polls1 - polls0 };
        phases.push(measure);
        log(`round ${round} ${phase}: ${(1_000 * measure.taskSeconds).toFixed(1)} ms of main-thread tasks in ${measure.seconds.toFixed(1)} s, ${measure.polls} polls (load ${os.loadavg()[0]!.toFixed(2)})`);
      }
    }
    await session.detach().catch(() => {});
    const hookPerPollMs = costPerPoll(phases, 'hook');
    const barePerCallMs = costPerPoll(phases, 'bare');
    const readPerCallMs = costPerPoll(phases, 'read');
    const roundRatios = [...Array(rounds).keys()].map((round) => {
      const mine = phases.filter((p) => p.round === round);
      return costPerPoll(mine, 'hook') / costPerPoll(mine, 'bare');
    });
    return {
      intervalMs,
      connections: 2,
      phases,
      hookPerPollMs,
      barePerCallMs,
      readPerCallMs,
      ratio: hookPerPollMs / barePerCallMs,
      roundRatios,
      load: { start: loadStart, end: os.loadavg() },
    };
  } finally {
    await stopCallRig(rig);
  }
}
