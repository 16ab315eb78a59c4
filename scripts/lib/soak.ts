/**
 * Soak of the built extension in headless Chromium against a real Pushgateway: N live peer
 * connections polled at a short interval for M minutes, sampling the service worker's and the
 * page's JS heap after a forced GC, the extension process's CPU time (from /proc), the worker's
 * longest event-loop stall, and storage bytes in use. Run by scripts/bench.mjs (npm run bench).
 */
import fs from 'node:fs';
import { launchChromium, type ChromiumHarness } from '../../tests/e2e/support/chromium';
import { startCallPageServer } from '../../tests/e2e/support/call-page-server';
import { startPushgateway } from '../../tests/e2e/support/pushgateway';
import { configureExtension, connectionGroups, extensionHealth, pushTime } from '../../tests/e2e/support/exporter-control';
import { storageBytes } from '../../tests/e2e/support/extension-reload';
import { waitFor } from '../../tests/e2e/support/free-port';

export interface SoakOptions {
  extensionDir: string;
  minutes: number;
  /** Loopback calls; each has two peer connections. Default 5 (10 connections). */
  calls?: number;
  intervalMs?: number;
  warmUpSeconds?: number;
  sampleEverySeconds?: number;
  /**
   * Let Playwright watch the worker's network traffic (default false). Playwright enables the
   * CDP Network domain on every service worker it attaches to, and that instrumentation roughly
   * doubles the cost of each fetch() in the worker (measured: ~1.8 ms against ~0.9 ms of
   * main-thread time per 57 KB PUT), so it would be counted as the extension's own CPU.
   */
  inspectWorkerNetwork?: boolean;
  log?: (line: string) => void;
}

export interface SoakSample {
  /** Seconds since the calls connected. */
  t: number;
  workerHeap: number;
  pageHeap: number;
  /** CPU seconds of the extension process so far. */
  cpuSeconds: number;
}

export interface SoakResult {
  minutes: number;
  connections: number;
  intervalMs: number;
  samples: SoakSample[];
  warmUpSeconds: number;
  /** Least-squares slope after warm-up, bytes per minute. */
  workerHeapSlope: number;
  pageHeapSlope: number;
  workerHeapPeak: number;
  workerHeapFirst: number;
  workerHeapLast: number;
  pageHeapPeak: number;
  /** Extension process CPU over the measured span, as % of one core. */
  cpuPercent: number;
  /** Longest gap between two 100 ms ticks of a timer in the worker, minus 100 ms. */
  longestStallMs: number;
  storage: { session: number; local: number; sync: number };
  groups: number;
  pushesOk: number;
  pushesFailed: number;
  reportsAccepted: number;
  drops: Record<string, number>;
  chromium: string;
  load: number[];
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
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
  const roots = [...cmdlines].filter(([, cmd]) => cmd.includes(`--load-extension=${extensionDir}`) && !cmd.includes('--type=')).map(([pid]) => pid);
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

async function pageHeap(page: import('playwright-core').Page): Promise<number> {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('HeapProfiler.collectGarbage');
    return (await session.send('Runtime.getHeapUsage')).usedSize;
  } finally {
    await session.detach().catch(() => {});
  }
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

/** Runs the soak and returns its figures; cleans up browser, gateway and page server. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const calls = options.calls ?? 5;
  const intervalMs = options.intervalMs ?? 250;
  const warmUpSeconds = options.warmUpSeconds ?? 60;
  const sampleEvery = options.sampleEverySeconds ?? 15;
  // Read by Playwright when it attaches to a service worker, so it must be set before launching.
  if (options.inspectWorkerNetwork) delete process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK;
  else process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
  const gateway = await startPushgateway({ adminApi: true });
  const pages = await startCallPageServer();
  const browser = await launchChromium({ extensionDir: options.extensionDir });
  try {
    await configureExtension(
      browser,
      { gateway: { url: gateway.url, job: 'soak' }, customOrigins: ['http://127.0.0.1/*'], intervalMs },
      'http://127.0.0.1/*',
    );
    // A first install opens the options page; it shares the worker's process and would count in its CPU.
    for (const open of browser.context.pages()) if (open.url().startsWith('chrome-extension://')) await open.close();
    const page = await browser.context.newPage();
    await page.goto(pages.pageUrl('call'));
    // Audio and a busy data channel: live RTP and SCTP stats without five fake video encoders
    // competing for the two shared cores.
    for (let i = 0; i < calls; i++) await page.evaluate(() => window.startCall({ audio: true, video: false, dataChannel: true }));
    await waitFor(async () => (await connectionGroups(gateway)).length === 2 * calls, {
      timeoutMs: 30_000,
      what: `${2 * calls} groups`,
    });
    log(`soak: ${2 * calls} connections exporting every ${intervalMs} ms; ${options.minutes} min, warm-up ${warmUpSeconds} s`);
    await installStallProbe(browser);

    const pids = extensionProcessPids(options.extensionDir);
    if (pids.length !== 1) log(`soak: warning: ${pids.length} extension processes (${pids.join(', ')}); CPU is their sum`);
    const cpuNow = () => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);

    const startedAt = Date.now();
    const samples: SoakSample[] = [];
    const endAt = startedAt + options.minutes * 60_000;
    let stallAfterWarmUp = 0;
    for (;;) {
      const t = (Date.now() - startedAt) / 1_000;
      const sample: SoakSample = {
        t,
        workerHeap: (await browser.workerHeap()).usedSize,
        pageHeap: await pageHeap(page),
        cpuSeconds: cpuNow(),
      };
      samples.push(sample);
      const stall = await browser.evalInWorker(() => {
        const probe = (globalThis as unknown as { __stall: { max: number } }).__stall;
        const max = probe.max;
        probe.max = 0;
        return max;
      });
      if (t >= warmUpSeconds) stallAfterWarmUp = Math.max(stallAfterWarmUp, stall);
      log(
        `soak: t=${t.toFixed(0)}s worker ${(sample.workerHeap / 1024).toFixed(0)} KiB page ${(sample.pageHeap / 1024).toFixed(0)} KiB cpu ${sample.cpuSeconds.toFixed(2)} s stall ${stall.toFixed(0)} ms`,
      );
      if (Date.now() >= endAt) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(sampleEvery * 1_000, Math.max(0, endAt - Date.now()))));
    }

    const measured = samples.filter((s) => s.t >= warmUpSeconds);
    const first = measured[0] ?? samples[0]!;
    const last = samples[samples.length - 1]!;
    const perMinute = (key: 'workerHeap' | 'pageHeap') => slope(measured.map((s) => [s.t / 60, s[key]]));
    const groups = await connectionGroups(gateway);
    const freshest = Math.min(...groups.map(pushTime));
    const storage = await storageBytes(browser);
    const health = await extensionHealth(browser);
    const version = browser.context.browser()?.version() ?? 'unknown';
    log(`soak: oldest group push ${(Date.now() / 1_000 - freshest).toFixed(1)} s ago`);
    return {
      minutes: options.minutes,
      connections: 2 * calls,
      intervalMs,
      samples,
      warmUpSeconds,
      workerHeapSlope: perMinute('workerHeap'),
      pageHeapSlope: perMinute('pageHeap'),
      workerHeapPeak: Math.max(...samples.map((s) => s.workerHeap)),
      workerHeapFirst: first.workerHeap,
      workerHeapLast: last.workerHeap,
      pageHeapPeak: Math.max(...samples.map((s) => s.pageHeap)),
      cpuPercent: last.t > first.t ? (100 * (last.cpuSeconds - first.cpuSeconds)) / (last.t - first.t) : 0,
      longestStallMs: stallAfterWarmUp,
      storage,
      groups: groups.length,
      pushesOk: health.delivery.pushesOk,
      pushesFailed: health.delivery.pushesFailed,
      reportsAccepted: health.reportsAccepted,
      drops: health.drops,
      chromium: version,
      load: (await import('node:os')).loadavg(),
    };
  } finally {
    await browser.close();
    await pages.close();
    await gateway.stop();
  }
}
