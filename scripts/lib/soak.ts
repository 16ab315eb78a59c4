/**
 * Soak of the built extension in headless Chromium against a real Pushgateway: N live peer
 * connections polled at a short interval for M minutes, with churn (short calls opened and closed
 * all along, a second tab reloaded now and then), sampling the service worker's and the page's JS
 * heap after a forced GC, the page's JS event listeners, the extension process's CPU time (from
 * /proc), the worker's longest event-loop stall, storage bytes per area and health's `resources`
 * snapshot (every bounded collection) at start and end. Without `extensionDir` it runs the same
 * call page and the same churn in a Chromium without the extension: the baseline whose page-heap
 * slope is subtracted from the extension's. Run by scripts/soak.mjs (npm run soak), scripts/bench.mjs
 * (npm run bench) and the 2-minute soak e2e (tests/e2e/chromium/soak.e2e.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, launchChromium, type ChromiumHarness } from '../../tests/e2e/support/chromium';
import { startCallPageServer } from '../../tests/e2e/support/call-page-server';
import { startPushgateway, type Pushgateway } from '../../tests/e2e/support/pushgateway';
import { configureExtension, connectionGroups, extensionHealth, extensionPage, pushTime } from '../../tests/e2e/support/exporter-control';
import { storageBytes } from '../../tests/e2e/support/extension-reload';
import { heapGrowth, summariseHeapSnapshot, type HeapGrowth } from './heap-snapshot';
import { waitFor } from '../../tests/e2e/support/free-port';

/** Calls opened and closed during the soak, and reloads of a second tab. */
export interface ChurnOptions {
  /** Seconds between two new short calls in the measured page. Default 30. */
  everySeconds?: number;
  /** Shortest life of a short call, seconds. Default 60. */
  minLifeSeconds?: number;
  /** Longest life of a short call, seconds. Default 180. */
  maxLifeSeconds?: number;
  /** Seconds between reloads of the second tab (which holds one call). Default 300. */
  reloadEverySeconds?: number;
}

export interface SoakOptions {
  /** Unpacked extension; omitted: the baseline run, same pages and churn, no extension. */
  extensionDir?: string;
  minutes: number;
  /** Steady loopback calls in the measured page; each has two peer connections. Default 5 (10 connections). */
  calls?: number;
  /** Capture interval, ms. Default 250. */
  intervalMs?: number;
  /** Samples before this many seconds are left out of the slopes and the CPU figure. Default 60. */
  warmUpSeconds?: number;
  /** Seconds between samples. Default 15. */
  sampleEverySeconds?: number;
  /** Churn; false (the default) for a steady soak. */
  churn?: ChurnOptions | false;
  /** Seconds to wait at the end for every bounded collection to return to its starting size. Default 90. */
  settleSeconds?: number;
  /**
   * Let Playwright watch the worker's network traffic (default false). Playwright enables the
   * CDP Network domain on every service worker it attaches to, and that instrumentation roughly
   * doubles the cost of each fetch() in the worker (measured: ~1.8 ms against ~0.9 ms of
   * main-thread time per 57 KB PUT), so it would be counted as the extension's own CPU.
   */
  inspectWorkerNetwork?: boolean;
  /**
   * The soak's own probes inside the measured span: a 100 ms stall-probe timer in the worker and a
   * forced GC of the worker and the page at every sample (default true). Both run in the processes
   * being measured and cost about as much as the extension itself at the default load, so a CPU
   * figure is taken with them off: samples then read only CPU time and the load average, and the
   * heaps are read once, after the measured span.
   */
  probes?: boolean;
  /**
   * Capture the call page's origin (default true). False loads and configures the same extension
   * (gateway included) but leaves the page's origin out of capture: the paired reference of a
   * CPU run, the extension process with the same pages and nothing to export.
   */
  capture?: boolean;
  /** What each steady call sends (default 'audio+data': audio plus a busy data channel). */
  media?: 'audio+data' | 'audio+video';
  /** Called after the measured span, before teardown, with the gateway (e.g. to count series). */
  inspectGateway?: (gateway: Pushgateway) => Promise<void>;
  /**
   * Directory for two worker heap snapshots, one at the end of the warm-up and one after the
   * settle at the end; the result then names the constructors that grew (default: none taken).
   */
  heapSnapshotDir?: string;
  log?: (line: string) => void;
}

export interface SoakSample {
  /** Seconds since the steady calls connected. */
  t: number;
  /** Service worker heap after GC; 0 in the baseline. */
  workerHeap: number;
  pageHeap: number;
  /** JS event listeners of the page's renderer (CDP Memory.getDOMCounters). */
  pageListeners: number;
  /** CPU seconds of the extension process so far; 0 in the baseline. */
  cpuSeconds: number;
  /** Short churn calls live at the sample. */
  churnCalls: number;
  /** The machine's 1-minute load average at the sample (the CPU figure means little without it). */
  load1: number;
}

/** A least-squares line's slope and the half-width of its 95 % confidence interval. */
export interface SlopeFit {
  slope: number;
  ci95: number;
  /** Standard error of the slope. */
  se: number;
  n: number;
}

export interface HeapFigures {
  first: number;
  last: number;
  peak: number;
  /** Bytes per minute after warm-up. */
  fit: SlopeFit;
}

export type ResourceSizes = Record<string, { size: number; cap: number; evicted: number }>;
export type StorageBytes = { session: number; local: number; sync: number };

export interface SoakResult {
  withExtension: boolean;
  minutes: number;
  connections: number;
  intervalMs: number;
  samples: SoakSample[];
  warmUpSeconds: number;
  /** Null in the baseline and with the probes off. */
  workerHeap: HeapFigures | null;
  /** Null with the probes off. */
  pageHeap: HeapFigures | null;
  /** With the probes off: the heaps after a forced GC, read once after the measured span (worker 0 in the baseline). */
  heapAfter: { worker: number; page: number } | null;
  /** The page's JS event listeners (fewest of five reads) with the same live connections at start and end. */
  pageListeners: { start: number; end: number };
  /** Extension process CPU over the measured span, as % of one core; null in the baseline. */
  cpuPercent: number | null;
  /** Longest gap between two 100 ms ticks of a timer in the worker, minus 100 ms; null with the probes off. */
  longestStallMs: number | null;
  storage: { start: StorageBytes; end: StorageBytes } | null;
  /** Health's resources snapshot with the same live connections at start and end (after settling). */
  resources: { start: ResourceSizes; end: ResourceSizes; settledAfterSeconds: number } | null;
  churn: { opened: number; closed: number; reloads: number; failed: number };
  /** Samples that failed (a CDP call timed out on a loaded machine) and were left out. */
  skippedSamples: number;
  groups: number;
  pushesOk: number;
  pushesFailed: number;
  reportsAccepted: number;
  drops: Record<string, number>;
  chromium: string;
  /** 1, 5 and 15-minute load averages at the end. */
  load: number[];
  /** With `heapSnapshotDir`: the worker's constructors that grew most between the two snapshots. */
  heapGrowth?: HeapGrowth[];
}

/** Least-squares slope of y over x with its 95 % confidence interval (t distribution, n − 2 degrees of freedom). */
export function fitSlope(points: Array<[number, number]>): SlopeFit {
  const n = points.length;
  if (n < 3) return { slope: 0, ci95: Number.POSITIVE_INFINITY, se: Number.POSITIVE_INFINITY, n };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) return { slope: 0, ci95: Number.POSITIVE_INFINITY, se: Number.POSITIVE_INFINITY, n };
  const slope = sxy / sxx;
  const residuals = points.reduce((s, [x, y]) => s + (y - my - slope * (x - mx)) ** 2, 0);
  const standardError = Math.sqrt(residuals / (n - 2) / sxx);
  return { slope, ci95: tQuantile975(n - 2) * standardError, se: standardError, n };
}

/**
 * Slope over time of y with the count of live churn calls held fixed: least squares on
 * y = a + b·t + c·calls, returning b with its 95 % interval (n − 3 degrees of freedom). Each live
 * connection holds its own state (a snapshot in the outbox, history), so heap follows how many
 * short calls happen to be live at a sample; a leak is what grows with time at the same count.
 */
export function fitSlopeAtSameLoad(points: Array<[t: number, calls: number, y: number]>): SlopeFit {
  const n = points.length;
  const mean = (i: 0 | 1 | 2) => points.reduce((s, p) => s + p[i], 0) / n;
  if (n < 4) return { slope: 0, ci95: Number.POSITIVE_INFINITY, se: Number.POSITIVE_INFINITY, n };
  const [mt, mc, my] = [mean(0), mean(1), mean(2)];
  let stt = 0, scc = 0, stc = 0, sty = 0, scy = 0;
  for (const [t, c, y] of points) {
    stt += (t - mt) ** 2;
    scc += (c - mc) ** 2;
    stc += (t - mt) * (c - mc);
    sty += (t - mt) * (y - my);
    scy += (c - mc) * (y - my);
  }
  const det = stt * scc - stc ** 2;
  if (scc === 0 || det <= 0) return fitSlope(points.map(([t, , y]) => [t, y]));
  const b = (scc * sty - stc * scy) / det;
  const c = (stt * scy - stc * sty) / det;
  const residuals = points.reduce((sum, [t, k, y]) => sum + (y - my - b * (t - mt) - c * (k - mc)) ** 2, 0);
  const standardError = Math.sqrt((residuals / (n - 3)) * (scc / det));
  return { slope: b, ci95: tQuantile975(n - 3) * standardError, se: standardError, n };
}

/**
 * Slope of the heap's floor: the least value in each `windowSeconds` window after warm-up, fitted.
 * Forced-GC samples still catch what is in flight at that moment (a batch of reports on its way),
 * which scatters them upwards; a retainer raises the floor, so the floor's slope is the sharper test.
 */
export function floorSlope(samples: SoakSample[], key: 'workerHeap' | 'pageHeap', warmUpSeconds: number, windowSeconds: number): SlopeFit {
  const windows = new Map<number, SoakSample>();
  for (const sample of samples) {
    if (sample.t < warmUpSeconds) continue;
    const index = Math.floor((sample.t - warmUpSeconds) / windowSeconds);
    const least = windows.get(index);
    if (!least || sample[key] < least[key]) windows.set(index, sample);
  }
  return fitSlope([...windows.values()].map((s) => [s.t / 60, s[key]]));
}

/** The difference of two independent slopes, its interval from both (Welch-style, normal quantile). */
export function slopeDifference(a: SlopeFit, b: SlopeFit): SlopeFit {
  const se = Math.hypot(a.se, b.se);
  return { slope: a.slope - b.slope, ci95: 1.96 * se, se, n: Math.min(a.n, b.n) };
}

/** 97.5 % quantile of Student's t with `df` degrees of freedom (Cornish-Fisher expansion; < 1 % off from df 3). */
function tQuantile975(df: number): number {
  const z = 1.959964;
  if (df <= 0) return Number.POSITIVE_INFINITY;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/**
 * PIDs of the extension renderer processes (started with --extension-process) of the Chromium
 * that loaded `extensionDir`: descendants of the browser process whose command line names it.
 * Other Chromiums on the machine (parallel test runs) have extension processes too.
 */
function extensionProcessPids(extensionDir: string): number[] {
  const parent = new Map<number, number>();
  const cmdlines = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      cmdlines.set(Number(entry), fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
    } catch {
      // The process ended while listing.
    }
  }
  // Whole arguments (NUL-separated): a sibling directory whose name starts with this one's is another browser.
  const roots = [...cmdlines]
    .filter(([, cmd]) => cmd.split('\0').includes(`--load-extension=${extensionDir}`) && !cmd.includes('--type='))
    .map(([pid]) => pid);
  const descendsFromRoot = (pid: number): boolean => {
    for (let at: number | undefined = pid, hops = 0; at && hops < 16; at = parent.get(at), hops++) if (roots.includes(at)) return true;
    return false;
  };
  return [...cmdlines]
    .filter(([pid, cmd]) => cmd.includes('--type=renderer') && cmd.includes('--extension-process') && descendsFromRoot(pid))
    .map(([pid]) => pid);
}

/** utime + stime of a process, in seconds. */
function cpuSecondsOf(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The page's JS heap after a forced GC, and its renderer's JS event listeners. */
export async function pageMemory(page: Page): Promise<{ heap: number; listeners: number }> {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('HeapProfiler.collectGarbage');
    const heap = (await session.send('Runtime.getHeapUsage')).usedSize;
    const listeners = (await session.send('Memory.getDOMCounters')).jsEventListeners;
    return { heap, listeners };
  } finally {
    await session.detach().catch(() => {});
  }
}

/**
 * The page's JS event listeners, fewest of five reads 0.5 s apart: each of the hook's batches still
 * waiting for the relay's answer holds a listener for a moment, and a loaded machine keeps more
 * of them waiting. The fewest is the page's own listeners plus the least in flight.
 */
async function settledListeners(page: Page): Promise<number> {
  let fewest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    fewest = Math.min(fewest, (await pageMemory(page)).listeners);
  }
  return fewest;
}

/** Installs a 100 ms timer in the worker that records the longest late tick. */
async function installStallProbe(browser: ChromiumHarness): Promise<void> {
  await browser.evalInWorker(() => {
    const g = globalThis as unknown as { __stall?: { max: number; last: number } };
    if (g.__stall) return;
    const probe = { max: 0, last: performance.now() };
    g.__stall = probe;
    setInterval(() => {
      const t = performance.now();
      probe.max = Math.max(probe.max, t - probe.last - 100);
      probe.last = t;
    }, 100);
  });
}

interface ChurnWindow {
  __soakChurn?: {
    start(id: number): Promise<void>;
    stop(id: number): boolean;
    stopAll(): number;
    count(): number;
  };
}

/**
 * Gives the call page short calls it can open and close one by one (loopback.js keeps every call
 * it made, so its hangUp() cannot close a single one and its calls are never freed).
 */
export async function installChurnCalls(page: Page): Promise<void> {
  // A string, not a function: tsx's keepNames would add calls to a `__name` helper the page lacks.
  await page.evaluate(CHURN_CALLS_SCRIPT);
}

const CHURN_CALLS_SCRIPT = `(() => {
  if (window.__soakChurn) return;
  const live = new Map();
  function stop(id) {
    const call = live.get(id);
    if (!call) return false;
    live.delete(id);
    call.a.close();
    call.b.close();
    if (call.stream) for (const track of call.stream.getTracks()) track.stop();
    return true;
  }
  window.__soakChurn = {
    async start(id) {
      const a = new window.RTCPeerConnection();
      const b = new window.RTCPeerConnection();
      const call = { a, b, stream: null };
      live.set(id, call);
      a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate).catch(() => {}); };
      b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate).catch(() => {}); };
      call.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      for (const track of call.stream.getTracks()) a.addTrack(track, call.stream);
      await window.e2e.negotiate(a, b);
      const deadline = Date.now() + 20000;
      while (a.connectionState !== 'connected' || b.connectionState !== 'connected') {
        if (Date.now() > deadline) throw new Error('churn call ' + id + ' not connected: ' + a.connectionState + '/' + b.connectionState);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop,
    stopAll: () => [...live.keys()].filter(stop).length,
    count: () => live.size,
  };
})()`;

/** A Chromium without the extension, for the baseline. */
async function launchPlainChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-baseline-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs(),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Health's resources, asked from an options page that is closed again at once (it shares the worker's process and CPU). */
async function resourceSizes(browser: ChromiumHarness): Promise<ResourceSizes> {
  try {
    return (await extensionHealth(browser)).resources ?? {};
  } finally {
    await (await extensionPage(browser)).close();
  }
}

/** Collections whose size differs between two snapshots. */
export function changedResources(start: ResourceSizes, end: ResourceSizes): string[] {
  const names = new Set([...Object.keys(start), ...Object.keys(end)]);
  return [...names].filter((name) => start[name]?.size !== end[name]?.size);
}

/** Runs the soak and returns its figures; cleans up browser, gateway and page server. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const withExtension = options.extensionDir !== undefined;
  const tag = !withExtension ? 'baseline' : options.capture === false ? 'capture off' : 'soak';
  const log = (line: string) => options.log?.(`${tag}: ${line}`);
  const calls = options.calls ?? 5;
  const intervalMs = options.intervalMs ?? 250;
  const warmUpSeconds = options.warmUpSeconds ?? 60;
  const sampleEvery = options.sampleEverySeconds ?? 15;
  const churn = options.churn === false || options.churn === undefined ? null : options.churn;
  const probes = options.probes ?? true;
  const capture = options.capture ?? true;
  const media = options.media === 'audio+video' ? { audio: true, video: true, dataChannel: false } : { audio: true, video: false, dataChannel: true };
  // Read by Playwright when it attaches to a service worker, so it must be set before launching.
  if (options.inspectWorkerNetwork) delete process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK;
  else process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
  const gateway: Pushgateway | null = withExtension ? await startPushgateway({ adminApi: true }) : null;
  const pages = await startCallPageServer();
  const harness = withExtension ? await launchChromium({ extensionDir: options.extensionDir }) : null;
  const plain = harness ? null : await launchPlainChromium();
  const context = harness?.context ?? plain!.context;
  const counts = { opened: 0, closed: 0, reloads: 0, failed: 0 };
  try {
    if (harness && gateway) {
      await configureExtension(
        harness,
        { gateway: { url: gateway.url, job: 'soak' }, customOrigins: capture ? ['http://127.0.0.1/*'] : [], intervalMs },
        capture ? 'http://127.0.0.1/*' : undefined,
      );
      // A first install opens the options page; it shares the worker's process and would count in its CPU.
      for (const open of context.pages()) if (open.url().startsWith('chrome-extension://')) await open.close();
    }
    const steadyGroups = 2 * calls + (churn ? 2 : 0);
    const waitForGroups = async (count: number, what: string) => {
      if (gateway && capture) await waitFor(async () => (await connectionGroups(gateway)).length === count, { timeoutMs: 90_000, what });
    };
    const page = await context.newPage();
    await page.goto(pages.pageUrl('call'));
    // By default audio and a busy data channel: live RTP and SCTP stats without five fake video
    // encoders competing for the two shared cores.
    for (let i = 0; i < calls; i++) await page.evaluate((m) => window.startCall(m), media);
    // The second tab holds one call and is reloaded now and then (navigation ends its connections).
    const reloadTab = churn ? await context.newPage() : null;
    const startReloadTabCall = async () => {
      await reloadTab!.goto(pages.pageUrl('call'));
      await reloadTab!.evaluate(() => window.startCall({ audio: true, video: false, dataChannel: false }));
    };
    if (reloadTab) await startReloadTabCall();
    if (churn) await installChurnCalls(page);
    await waitForGroups(steadyGroups, `${steadyGroups} groups`);
    log(
      `${2 * calls} steady connections (${options.media ?? 'audio+data'})${churn ? ' + a reloaded tab + churn' : ''}, every ${intervalMs} ms${capture ? '' : ', capture off'}; ${options.minutes} min, warm-up ${warmUpSeconds} s${probes ? '' : ', probes off'}`,
    );
    if (harness && probes) await installStallProbe(harness);

    const listenersStart = await settledListeners(page);
    const resourcesStart = harness ? await resourceSizes(harness) : null;
    const storageStart = harness ? await storageBytes(harness) : null;
    const pids = options.extensionDir ? extensionProcessPids(options.extensionDir) : [];
    if (harness && pids.length !== 1) log(`warning: ${pids.length} extension processes (${pids.join(', ')}); CPU is their sum`);
    const cpuNow = () => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);

    const startedAt = Date.now();
    const endAt = startedAt + options.minutes * 60_000;
    const elapsed = () => (Date.now() - startedAt) / 1_000;
    const churnCall = (id: number) => page.evaluate((n) => (window as unknown as ChurnWindow).__soakChurn!.start(n), id);
    const closing: Array<{ id: number; at: number }> = [];
    let nextCallAt = churn ? (churn.everySeconds ?? 30) : Number.POSITIVE_INFINITY;
    let nextReloadAt = churn ? (churn.reloadEverySeconds ?? 300) : Number.POSITIVE_INFINITY;
    let nextSampleAt = 0;
    let callId = 0;
    let stallAfterWarmUp = 0;
    let skippedSamples = 0;
    const samples: SoakSample[] = [];

    // Snapshots are files of several MB: only their summaries stay in memory.
    const snapshotDir = harness ? options.heapSnapshotDir : undefined;
    const takeSnapshot = async (name: string) => {
      const text = await harness!.workerHeapSnapshot();
      fs.mkdirSync(snapshotDir!, { recursive: true });
      fs.writeFileSync(path.join(snapshotDir!, `worker-${name}.heapsnapshot`), text);
      log(`worker heap snapshot ${name}: ${(text.length / 1024 / 1024).toFixed(1)} MB written`);
      return summariseHeapSnapshot(text);
    };
    let snapshotStart: ReturnType<typeof summariseHeapSnapshot> | undefined;

    const takeSample = async () => {
      const t = elapsed();
      // Probes off: nothing runs in the measured processes but what the extension does anyway.
      const memory = probes ? await pageMemory(page) : { heap: 0, listeners: 0 };
      const sample: SoakSample = {
        t,
        workerHeap: harness && probes ? (await harness.workerHeap()).usedSize : 0,
        pageHeap: memory.heap,
        pageListeners: memory.listeners,
        cpuSeconds: cpuNow(),
        churnCalls: churn ? await page.evaluate(() => (window as unknown as ChurnWindow).__soakChurn!.count()) : 0,
        load1: os.loadavg()[0]!,
      };
      samples.push(sample);
      let stall = 0;
      if (harness && probes) {
        stall = await harness.evalInWorker(() => {
          const probe = (globalThis as unknown as { __stall: { max: number } }).__stall;
          const max = probe.max;
          probe.max = 0;
          return max;
        });
        if (t >= warmUpSeconds) stallAfterWarmUp = Math.max(stallAfterWarmUp, stall);
      }
      if (!probes) log(`t=${t.toFixed(0)}s cpu ${sample.cpuSeconds.toFixed(2)} s load ${sample.load1.toFixed(1)}`);
      else log(
        `t=${t.toFixed(0)}s worker ${(sample.workerHeap / 1024).toFixed(0)} KiB page ${(sample.pageHeap / 1024).toFixed(0)} KiB listeners ${sample.pageListeners} churn calls ${sample.churnCalls} cpu ${sample.cpuSeconds.toFixed(2)} s stall ${stall.toFixed(0)} ms`,
      );
    };

    for (;;) {
      const t = elapsed();
      if (t >= nextSampleAt) {
        // On a loaded machine a forced GC can take longer than CDP waits: skip that sample, keep soaking.
        await takeSample().catch((error: unknown) => {
          skippedSamples++;
          log(`sample at t=${t.toFixed(0)}s skipped: ${String(error)}`);
        });
        if (snapshotDir && !snapshotStart && t >= warmUpSeconds) snapshotStart = await takeSnapshot('start');
        // A late loop (a loaded machine) skips the samples it missed rather than taking them in a burst.
        while (nextSampleAt <= elapsed()) nextSampleAt += sampleEvery;
      }
      if (Date.now() >= endAt) break;
      if (churn && t >= nextCallAt) {
        nextCallAt += churn.everySeconds ?? 30;
        const id = ++callId;
        const min = churn.minLifeSeconds ?? 60;
        // Lengths spread evenly over [min, max] by the golden-ratio sequence: the same in both runs of a pair.
        const life = min + ((id * 0.618_033_988_75) % 1) * ((churn.maxLifeSeconds ?? 180) - min);
        closing.push({ id, at: t + life });
        try {
          await churnCall(id);
          counts.opened++;
        } catch (error) {
          counts.failed++;
          log(`churn call ${id} failed: ${String(error)}`);
        }
      }
      for (const due of closing.filter((c) => c.at <= elapsed())) {
        closing.splice(closing.indexOf(due), 1);
        if (await page.evaluate((n) => (window as unknown as ChurnWindow).__soakChurn!.stop(n), due.id)) counts.closed++;
      }
      if (reloadTab && churn && t >= nextReloadAt) {
        nextReloadAt += churn.reloadEverySeconds ?? 300;
        try {
          await startReloadTabCall();
          counts.reloads++;
        } catch (error) {
          counts.failed++;
          log(`reload failed: ${String(error)}`);
        }
      }
      const nextEvent = Math.min(nextSampleAt, nextCallAt, nextReloadAt, ...closing.map((c) => c.at), (endAt - startedAt) / 1_000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.min(1_000 * (nextEvent - elapsed()), 5_000))));
    }

    const heapAfter = probes
      ? null
      : { worker: harness ? (await harness.workerHeap()).usedSize : 0, page: (await pageMemory(page)).heap };
    if (gateway && options.inspectGateway) await options.inspectGateway(gateway);
    // Back to the starting set of connections: the steady calls and the reloaded tab's one call.
    if (churn) counts.closed += await page.evaluate(() => (window as unknown as ChurnWindow).__soakChurn!.stopAll());
    await waitForGroups(steadyGroups, `back to ${steadyGroups} groups`);
    let resources: SoakResult['resources'] = null;
    if (harness && resourcesStart) {
      // Ended connections leave the tracker and the outbox once deleted; give that (and the stale sweep) time.
      const settleStart = Date.now();
      let end = await resourceSizes(harness);
      const deadline = settleStart + (options.settleSeconds ?? 90) * 1_000;
      while (changedResources(resourcesStart, end).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        end = await resourceSizes(harness);
      }
      resources = { start: resourcesStart, end, settledAfterSeconds: (Date.now() - settleStart) / 1_000 };
      log(`resources ${JSON.stringify(resourcesStart)} -> ${JSON.stringify(end)}`);
    }
    const growth = snapshotStart ? heapGrowth(snapshotStart, await takeSnapshot('end')) : undefined;
    const listenersEnd = await settledListeners(page);
    log(`page JS event listeners ${listenersStart} -> ${listenersEnd}`);

    const measured = samples.filter((s) => s.t >= warmUpSeconds);
    const span = measured.length >= 3 ? measured : samples;
    const first = span[0]!;
    const last = samples[samples.length - 1]!;
    const figures = (key: 'workerHeap' | 'pageHeap'): HeapFigures => ({
      first: first[key],
      last: last[key],
      peak: Math.max(...samples.map((s) => s[key])),
      fit: fitSlope(span.map((s) => [s.t / 60, s[key]])),
    });
    const groups = gateway ? await connectionGroups(gateway) : [];
    if (groups.length > 0) log(`oldest group push ${(Date.now() / 1_000 - Math.min(...groups.map(pushTime))).toFixed(1)} s ago`);
    const health = harness ? await extensionHealth(harness) : null;
    if (harness) await (await extensionPage(harness)).close();
    return {
      withExtension,
      minutes: options.minutes,
      connections: 2 * calls,
      intervalMs,
      samples,
      warmUpSeconds,
      workerHeap: harness && probes ? figures('workerHeap') : null,
      pageHeap: probes ? figures('pageHeap') : null,
      heapAfter,
      pageListeners: { start: listenersStart, end: listenersEnd },
      cpuPercent: harness && last.t > first.t ? (100 * (last.cpuSeconds - first.cpuSeconds)) / (last.t - first.t) : null,
      longestStallMs: probes ? stallAfterWarmUp : null,
      storage: harness && storageStart ? { start: storageStart, end: await storageBytes(harness) } : null,
      resources,
      churn: counts,
      skippedSamples,
      groups: groups.length,
      pushesOk: health?.delivery.pushesOk ?? 0,
      pushesFailed: health?.delivery.pushesFailed ?? 0,
      reportsAccepted: health?.reportsAccepted ?? 0,
      drops: health?.drops ?? {},
      chromium: context.browser()?.version() ?? 'unknown',
      load: os.loadavg(),
      ...(growth ? { heapGrowth: growth } : {}),
    };
  } finally {
    await harness?.close();
    await plain?.close();
    await pages.close();
    await gateway?.stop();
  }
}
