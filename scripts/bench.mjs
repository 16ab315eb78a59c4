#!/usr/bin/env node
/**
 * npm run bench: the encoder benchmark (scripts/bench-encoder.mjs) and the soak of the built
 * extension in headless Chromium against a real Pushgateway (scripts/lib/soak.ts), printed as
 * tables and written to docs/benchmarks.md. Not part of npm test: the soak alone takes
 * SOAK_MINUTES (default 5) plus about a minute.
 *
 * Environment: SOAK_MINUTES (default 5), SOAK_CALLS (default 5 calls = 10 connections),
 * SOAK_INTERVAL_MS (default 250), ENCODER_RUNS (default 2,000), SKIP_SOAK=1, SKIP_BUILD=1,
 * SKIP_DEFAULT_SOAK=1 (skips the second soak: one call, 2 connections, at the default 2 s interval),
 * BENCH_OUT_DIR (default .tmp/out-bench: its own build, so a running e2e never sees files change).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { benchEncoder, benchWindowAdd, benchWire, formatRow, formatWire, ENCODER_HEADER } = await import('./bench-encoder.mjs');
const { runSoak } = await import('./lib/soak.ts');

const minutes = Number(process.env.SOAK_MINUTES ?? 5);
const calls = Number(process.env.SOAK_CALLS ?? 5);
const intervalMs = Number(process.env.SOAK_INTERVAL_MS ?? 250);
const runs = Number(process.env.ENCODER_RUNS ?? 2_000);
const outDir = path.resolve(root, process.env.BENCH_OUT_DIR ?? '.tmp/out-bench');
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const perMin = (fit) => `${(fit.slope / 1024).toFixed(1)} ± ${(fit.ci95 / 1024).toFixed(1)} KiB/min`;

const encoderHeader = ENCODER_HEADER;
const encoderResults = ['quality', 'full', 'legacy'].map((profile) => benchEncoder({ runs, profile }));
const windowAdd = benchWindowAdd({ runs });
const encoderRows = [...encoderResults, windowAdd].map(formatRow);
const [quality, full] = encoderResults;
const encoderRatio = `quality / full, CPU per push: 1 / ${(full.cpuMicros / quality.cpuMicros).toFixed(0)} (target ≤ 1 / 8); per report at the defaults (one add per 2 s poll, one encode per 10 s push): ${(windowAdd.cpuMicros + quality.cpuMicros / 5).toFixed(1)} µs against full's ${(windowAdd.cpuMicros + full.cpuMicros / 5).toFixed(1)} µs (and ${full.cpuMicros.toFixed(0)} µs when full was pushed every poll, as before).`;
const wireRows = formatWire(await benchWire());
const encoderLoad = os.loadavg()[0].toFixed(1);
console.log([...encoderHeader, ...encoderRows, '', encoderRatio, '', ...wireRows].join('\n'));

let soakSection = '_Soak skipped (SKIP_SOAK=1)._';
if (process.env.SKIP_SOAK !== '1') {
  if (process.env.SKIP_BUILD !== '1') {
    execFileSync('npx', ['wxt', 'build'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WXT_OUT_DIR: outDir, E2E_LOOPBACK: '1' },
    });
  }
  const r = await runSoak({
    extensionDir: path.join(outDir, 'chrome-mv3'),
    minutes,
    calls,
    intervalMs,
    warmUpSeconds: Math.min(60, minutes * 15),
    log: (line) => console.log(line),
  });
  const rows = [
    ['connections, interval, duration', `${r.connections} live PCs (audio + data channel), ${r.intervalMs} ms, ${r.minutes} min (warm-up ${r.warmUpSeconds} s)`, ''],
    ['service-worker heap after GC: first / last / peak', `${kib(r.workerHeap.first)} / ${kib(r.workerHeap.last)} / ${kib(r.workerHeap.peak)}`, 'peak < 5 MB'],
    ['service-worker heap slope after warm-up (95 % interval)', perMin(r.workerHeap.fit), 'flat'],
    ['page heap after GC: peak, slope (95 % interval)', `${kib(r.pageHeap.peak)}, ${perMin(r.pageHeap.fit)}`, 'flat'],
    ['extension process CPU (worker + hidden extension pages)', `${r.cpuPercent.toFixed(2)} % of a core`, '< 1 %'],
    ['longest worker event-loop stall after warm-up', `${r.longestStallMs.toFixed(0)} ms`, ''],
    ['storage in use at the end: session / local / sync', `${r.storage.end.session} B / ${r.storage.end.local} B / ${r.storage.end.sync} B`, '< 5 MB'],
    ['groups in the gateway at the end', `${r.groups}`, `${r.connections}`],
    ['pushes ok / failed, reports accepted', `${r.pushesOk} / ${r.pushesFailed}, ${r.reportsAccepted}`, ''],
    ['drops', `${JSON.stringify(r.drops)}`, ''],
  ];
  const table = ['| soak figure | measured | target |', '|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)];
  const samples = [
    '| t (s) | worker heap | page heap | extension CPU (s) |',
    '|---|---|---|---|',
    ...r.samples.map((s) => `| ${s.t.toFixed(0)} | ${kib(s.workerHeap)} | ${kib(s.pageHeap)} | ${s.cpuSeconds.toFixed(2)} |`),
  ];
  console.log(`\n${table.join('\n')}`);
  let defaultLoad = [];
  if (process.env.SKIP_DEFAULT_SOAK !== '1') {
    // A realistic load: one call (two connections) at the default interval, where the < 1 % target applies.
    const d = await runSoak({
      extensionDir: path.join(outDir, 'chrome-mv3'),
      minutes,
      calls: 1,
      intervalMs: 2_000,
      warmUpSeconds: Math.min(60, minutes * 15),
      log: (line) => console.log(line),
    });
    defaultLoad = [
      '',
      'The same soak at a realistic load:',
      '',
      '| default-load figure | measured | target |',
      '|---|---|---|',
      `| connections, interval, duration | ${d.connections} live PCs, ${d.intervalMs} ms, ${d.minutes} min (warm-up ${d.warmUpSeconds} s) |  |`,
      `| extension process CPU | ${d.cpuPercent.toFixed(2)} % of a core | < 1 % |`,
      `| service-worker heap after GC: peak | ${kib(d.workerHeap.peak)} | peak < 5 MB |`,
      `| pushes ok / failed, reports accepted | ${d.pushesOk} / ${d.pushesFailed}, ${d.reportsAccepted} |  |`,
    ];
    console.log(defaultLoad.join('\n'));
  }
  soakSection = [
    table.join('\n'),
    ...defaultLoad,
    '',
    `Chromium ${r.chromium}, node ${process.version}, ${os.cpus().length} cores shared with other jobs (load average at the end ${r.load.map((l) => l.toFixed(1)).join(' ')}).`,
    '',
    '<details><summary>Samples (heap after a forced GC)</summary>',
    '',
    samples.join('\n'),
    '',
    '</details>',
  ].join('\n');
}

// The long soak (npm run soak, ~45 min) is not rerun here: its section is kept as written.
const previous = fs.existsSync(path.join(root, 'docs/benchmarks.md')) ? fs.readFileSync(path.join(root, 'docs/benchmarks.md'), 'utf8') : '';
const longSoak = /\n(## Long soak[\s\S]*?)(?=\n## |$)/.exec(previous)?.[1]?.trim() ?? '## Long soak\n\n_Not run yet: `npm run soak` (see README, Develop)._';

const doc = `# Benchmarks

Written by \`npm run bench\` (scripts/bench.mjs) on ${new Date().toISOString().slice(0, 10)}; rerun it to refresh.

## Encoder: cost and size per push, by export profile

${[...encoderHeader, ...encoderRows].join('\n')}

${encoderRatio}

${runs} runs per profile on the recorded Chromium audio+video loopback fixture (tests/fixtures), caller side,
its two samples replayed through the quality engine; node ${process.version}, load average ${encoderLoad} (1 min) when measured.

## Bytes on the wire per connection at the defaults

${wireRows.join('\n')}

Push bodies of both sides of the recorded call, averaged, six pushes a minute (push interval 10 s);
HTTP headers are not counted. Gzip is on by default: for the quality profile it costs the CPU in the
last column per push (Node's CompressionStream, the same API and zlib the extension uses) and saves
about three quarters of the body bytes. A body equal to the previous one of its group is not sent at
all, so these are upper bounds.

## Soak: built extension, headless Chromium, real Pushgateway

${soakSection}

${longSoak}

## Where the extension's CPU goes (CPU profile, 2026-11-28)

Measured with a throw-away script: the soak's setup (5 calls = 10 PCs at 250 ms, real Pushgateway),
an unminified build, the CDP \`Profiler\` domain on the service-worker target (reached through a
browser CDP session with \`Target.attachToTarget\` + \`Target.sendMessageToTarget\`, 250 µs
sampling, 30 s), and /proc utime+stime of the extension process over 30 s without the profiler.

| share of the worker's main thread (profiled, 10 PCs at 250 ms) | of 30 s |
|---|---|
| native \`fetch()\` call (request set-up and IPC, per PUT) | 6.7 % (9.5 % with Playwright's network inspection on) |
| encodeSnapshot (Prometheus text) | 1.5 % |
| chrome.storage writes (outbox every 250 ms, delivery counters) | 0.9 % |
| zod validation of inbound batches (\`parseInboundBatch\`) | 0.3 % |
| badge, self-metrics, health, timers, GC | < 0.5 % together |

- \`fetch()\` itself is the top cost: about 0.6–0.9 ms of main-thread time per PUT of a 57 KB body
  (0.4 ms for a bodyless GET), measured in the worker with \`performance.now()\` around the call. One
  PUT per report, so this scales with reports; the Pushgateway takes one group per request.
- **Playwright inflates the figure**: it enables the CDP \`Network\` domain on every service worker it
  attaches to, which about doubles each fetch's cost (1.8 ms vs 0.9 ms per 57 KB PUT) and is charged to
  the extension process. The soak now sets \`PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK=1\` (option
  \`inspectWorkerNetwork\` turns it back on); the 16.85 % of the first recorded run included it (and an options page left open).
- The soak's own probes cost too: a 100 ms timer in the worker (stall probe) and a forced full GC every
  15 s. At the default load they are about half of what the soak reports (profile script without them:
  0.65 % of a core for 2 PCs at 2 s; the soak with them: 1.1–1.2 %).
- Fixed: the outbox rewrote its whole JSON (up to ~10 x 57 KB) every 250 ms. It now writes within
  250 ms only while something is at risk (a pending delete, a failed or refused entry) and within 2 s
  while it holds only fresh snapshots on their first attempt (the next report replaces them anyway),
  and skips a write whose content (entry versions) equals the last one written.

| soak (1.5 min, warm-up 30 s, worker network inspection off) | before | after |
|---|---|---|
| 10 PCs at 250 ms, extension process CPU, run 1 / run 2 | 15.32 % / 11.44 % | 12.73 % / 10.92 % |
| 2 PCs at 2 s, extension process CPU | 1.19 % | 1.12 % |

Runs alternated before/after on a shared machine (load average 0.7 to 6.5 during them): the
spread between runs of one build (about 4 points at 250 ms) is larger than the outbox fix's effect,
so read the fix as "a small gain", not as a figure. Commands: \`npx tsx .tmp/perf/soak-compare.ts
<build dir> <calls> <interval ms> 1.5 0\` (a throw-away wrapper around \`runSoak\`).

## How the soak measures

- **Heap**: \`HeapProfiler.collectGarbage\` then \`Runtime.getHeapUsage\` on the service-worker target
  (through a browser CDP session) and on the call page, every 15 s. The slope is a least-squares fit
  over the samples after the warm-up, with its 95 % interval (Student's t on the fit's residuals;
  successive samples are not independent, so read the interval as indicative).
- **Page listeners**: \`Memory.getDOMCounters\` (\`jsEventListeners\`) on the call page, the fewest of
  five reads at start and at end (each batch the hook still waits on holds a listener for a moment).
- **CPU**: utime + stime from \`/proc/<pid>/stat\` of Chromium's extension renderer process (the one
  started with \`--extension-process\`; it runs the service worker), over the time after warm-up. The
  CDP \`Performance\` domain does not exist on a worker target. Playwright's network inspection of the
  worker is off (it would be charged to the extension); the stall probe and forced GCs are not.
- **Longest stall**: a 100 ms \`setInterval\` inside the worker records how late its ticks run; the
  largest lateness after the warm-up is the longest time anything blocked the worker's event loop
  (plus scheduling noise from the shared machine).
- **Storage**: \`getBytesInUse(null)\` of storage.session, storage.local and storage.sync, at the end.
- Not in \`npm test\`: CI runs the short bounds tests (tests/e2e/chromium/bounds.e2e.ts) and the
  2-minute soak with churn (tests/e2e/chromium/soak.e2e.ts) instead.
`;
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
fs.writeFileSync(path.join(root, 'docs/benchmarks.md'), doc);
console.log('\nwrote docs/benchmarks.md');
