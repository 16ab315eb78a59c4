#!/usr/bin/env node
/**
 * npm run soak -- [--minutes N] [--calls C] [--interval MS] [--sample S] [--no-churn] [--no-baseline] [--json FILE] [--snapshots DIR]
 * npm run soak -- --report FILE   (prints the table again from a run's JSON, runs nothing)
 *
 * The long soak (issue 15): the built extension in headless Chromium against a real Pushgateway,
 * C steady loopback calls (2C connections) polled every MS ms for N minutes, with churn (a short
 * call every 30 s lasting 1–3 min, a second tab reloaded every 5 min), and beside it, at the same
 * time and with the same churn schedule, the same call page in a Chromium WITHOUT the extension:
 * the page-heap slope the extension adds is the difference of the two.
 *
 * Default (accelerated 24 h): 5 calls = 10 connections at 250 ms for 40 min = 10 × 4 × 2,400 s
 * = 96,000 reports. A real agent on one call has 2 connections at the default 2 s interval =
 * 1 report per second, so 96,000 reports ≈ 26.7 hours of a real agent's load; the 80 short calls
 * and 8 reloads are days of a real agent's calls.
 *
 * Builds into .tmp/out-soak (unless SKIP_BUILD=1), prints the figures as a Markdown table (paste
 * into docs/benchmarks.md, "Long soak") and writes every sample as JSON (--json, default
 * .tmp/soak-result.json). Exits 1 when a bounded collection did not return to its starting size.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { runSoak, slopeDifference, changedResources, fitSlope, fitSlopeAtSameLoad, floorSlope } = await import('./lib/soak.ts');
const { formatHeapGrowth } = await import('./lib/heap-snapshot.ts');

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '40' },
    calls: { type: 'string', default: '5' },
    interval: { type: 'string', default: '250' },
    sample: { type: 'string', default: '30' },
    'no-churn': { type: 'boolean', default: false },
    'no-baseline': { type: 'boolean', default: false },
    json: { type: 'string', default: '.tmp/soak-result.json' },
    report: { type: 'string' },
    // Worker heap snapshots after the warm-up and at the end, and the constructors that grew between them.
    snapshots: { type: 'string' },
  },
});
const number = (name) => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`soak: --${name} must be a positive number, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return value;
};
let run;
if (values.report) {
  run = JSON.parse(fs.readFileSync(path.resolve(values.report), 'utf8'));
} else {
  const minutes = number('minutes');
  const calls = number('calls');
  const intervalMs = number('interval');
  const sampleEverySeconds = number('sample');
  const outDir = path.resolve(root, process.env.SOAK_OUT_DIR ?? '.tmp/out-soak');
  if (process.env.SKIP_BUILD !== '1') {
    execFileSync('npx', ['wxt', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WXT_OUT_DIR: outDir, E2E_LOOPBACK: '1' } });
  }
  const common = {
    minutes,
    calls,
    intervalMs,
    sampleEverySeconds,
    warmUpSeconds: Math.min(300, minutes * 15),
    churn: values['no-churn'] ? false : { everySeconds: 30, minLifeSeconds: 60, maxLifeSeconds: 180, reloadEverySeconds: 300 },
    log: (line) => console.log(line),
  };
  const loadAtStart = os.loadavg();
  const [ext, base] = await Promise.all([
    runSoak({ ...common, extensionDir: path.join(outDir, 'chrome-mv3'), heapSnapshotDir: values.snapshots && path.resolve(root, values.snapshots) }),
    values['no-baseline'] ? Promise.resolve(null) : runSoak(common),
  ]);
  run = { options: { minutes, calls, intervalMs, sampleEverySeconds }, loadAtStart, ext, base };
  fs.mkdirSync(path.dirname(path.resolve(root, values.json)), { recursive: true });
  fs.writeFileSync(path.resolve(root, values.json), JSON.stringify(run, null, 1));
  console.log(`wrote ${values.json}`);
}
const { options, loadAtStart, ext, base } = run;
const { minutes, intervalMs, sampleEverySeconds } = options;
/** Floors are taken per 5-minute window (or per 1/8 of a shorter run). */
const floorWindow = Math.min(300, (minutes * 60) / 8);
const floor = (r, key) => floorSlope(r.samples, key, r.warmUpSeconds, floorWindow);
// Fitted again from the samples, so that --report reads runs saved by older versions too.
const measured = (r) => r.samples.filter((s) => s.t >= r.warmUpSeconds);
const fit = (r, key) => fitSlope(measured(r).map((s) => [s.t / 60, s[key]]));
const sameLoad = (r, key) => fitSlopeAtSameLoad(measured(r).map((s) => [s.t / 60, s.churnCalls, s[key]]));

/** Mean of the 1-minute load average over the samples (runs before it was recorded have none). */
const meanLoad = (r) => {
  const loads = r.samples.map((s) => s.load1).filter((l) => typeof l === 'number');
  return loads.length ? `, mean 1-min load ${(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1)} over the run` : '';
};
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const perMin = (fit) => `${(fit.slope / 1024).toFixed(2)} ± ${(fit.ci95 / 1024).toFixed(2)} KiB/min`;
const storage = (s) => `${s.session} / ${s.local} / ${s.sync} B`;
const sizes = (r) => Object.entries(r).map(([name, v]) => `${name} ${v.size}`).join(', ');
const reports = Math.round((ext.connections * minutes * 60_000) / intervalMs);
const rows = [
  ['load', `${ext.connections} steady PCs (audio + data channel) at ${intervalMs} ms for ${minutes} min = ${reports.toLocaleString('en')} reports ≈ ${(reports / 3_600).toFixed(1)} h of 2 PCs at 2 s; warm-up ${ext.warmUpSeconds} s, a sample every ${sampleEverySeconds} s (${ext.samples.length} taken, ${ext.skippedSamples ?? 0} skipped)`],
  ['churn (extension run)', `${ext.churn.opened} short calls opened, ${ext.churn.closed} closed, ${ext.churn.reloads} tab reloads, ${ext.churn.failed} failures`],
  ['worker heap after GC: first / last / peak', `${kib(ext.workerHeap.first)} / ${kib(ext.workerHeap.last)} / ${kib(ext.workerHeap.peak)}`],
  ['worker heap slope (95 % interval)', perMin(fit(ext, 'workerHeap'))],
  ['worker heap slope at the same number of live short calls', perMin(sameLoad(ext, 'workerHeap'))],
  ['worker heap slope of its floor (least per window)', perMin(floor(ext, 'workerHeap'))],
  ['page heap after GC with the extension: first / last / peak', `${kib(ext.pageHeap.first)} / ${kib(ext.pageHeap.last)} / ${kib(ext.pageHeap.peak)}`],
  ['page heap slope with the extension: plain; same live calls; floor', `${perMin(fit(ext, 'pageHeap'))}; ${perMin(sameLoad(ext, 'pageHeap'))}; ${perMin(floor(ext, 'pageHeap'))}`],
];
if (base) {
  rows.push(
    ['page heap after GC without (baseline): first / last / peak', `${kib(base.pageHeap.first)} / ${kib(base.pageHeap.last)} / ${kib(base.pageHeap.peak)}`],
    ['page heap slope without (baseline): plain; same live calls; floor', `${perMin(fit(base, 'pageHeap'))}; ${perMin(sameLoad(base, 'pageHeap'))}; ${perMin(floor(base, 'pageHeap'))}`],
    [
      'page heap slope the extension adds (difference): plain; same live calls; floors',
      [
        slopeDifference(fit(ext, 'pageHeap'), fit(base, 'pageHeap')),
        slopeDifference(sameLoad(ext, 'pageHeap'), sameLoad(base, 'pageHeap')),
        slopeDifference(floor(ext, 'pageHeap'), floor(base, 'pageHeap')),
      ]
        .map(perMin)
        .join('; '),
    ],
    ['page JS event listeners, start → end: with / without', `${ext.pageListeners.start} → ${ext.pageListeners.end} / ${base.pageListeners.start} → ${base.pageListeners.end}`],
  );
}
rows.push(
  ['extension process CPU', `${ext.cpuPercent?.toFixed(2)} % of a core (load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${ext.load.map((l) => l.toFixed(1)).join(' ')} at end${meanLoad(ext)})`],
  ['longest worker event-loop stall after warm-up', `${ext.longestStallMs.toFixed(0)} ms`],
  ['storage: session / local / sync, start → end', `${storage(ext.storage.start)} → ${storage(ext.storage.end)}`],
  ['bounded collections (size), start', sizes(ext.resources.start)],
  ['bounded collections (size), end', `${sizes(ext.resources.end)} (settled ${ext.resources.settledAfterSeconds.toFixed(0)} s after the churn stopped)`],
  ['groups in the gateway at the end; pushes ok / failed; reports accepted', `${ext.groups}; ${ext.pushesOk} / ${ext.pushesFailed}; ${ext.reportsAccepted}`],
  ['drops', JSON.stringify(ext.drops)],
);
rows.push(['floor windows', `${floorWindow} s`]);
const table = ['| long soak figure | measured |', '|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
console.log(`\n${table}\n\nChromium ${ext.chromium}, node ${process.version}, ${os.cpus().length} cores shared with other jobs.`);
if (ext.heapGrowth) console.log(`\nWorker heap, end of warm-up → end (self size by constructor, top growth):\n\n${formatHeapGrowth(ext.heapGrowth)}`);
const changed = changedResources(ext.resources.start, ext.resources.end);
if (changed.length > 0) {
  console.error(`soak: not back to their starting size: ${changed.join(', ')}`);
  process.exitCode = 1;
}
