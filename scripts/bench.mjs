#!/usr/bin/env node
/**
 * npm run bench: the encoder benchmark (scripts/bench-encoder.mjs) and the soak of the built
 * extension in headless Chromium against a real Pushgateway (scripts/lib/soak.ts), printed as
 * tables and written to docs/benchmarks.md. Not part of npm test: the soak alone takes
 * SOAK_MINUTES (default 5) plus about a minute.
 *
 * Environment: SOAK_MINUTES (default 5), SOAK_CALLS (default 5 calls = 10 connections),
 * SOAK_INTERVAL_MS (default 250), ENCODER_RUNS (default 2,000), SKIP_SOAK=1, SKIP_BUILD=1,
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
const { benchEncoder, formatRow } = await import('./bench-encoder.mjs');
const { runSoak } = await import('./lib/soak.ts');

const minutes = Number(process.env.SOAK_MINUTES ?? 5);
const calls = Number(process.env.SOAK_CALLS ?? 5);
const intervalMs = Number(process.env.SOAK_INTERVAL_MS ?? 250);
const runs = Number(process.env.ENCODER_RUNS ?? 2_000);
const outDir = path.resolve(root, process.env.BENCH_OUT_DIR ?? '.tmp/out-bench');
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

const encoderHeader = [
  '| what | input | median per report (wall) | p95 (wall) | CPU per report (mean) | bytes per report | gzip |',
  '|---|---|---|---|---|---|---|',
];
const encoderRows = ['conventional', 'legacy'].map((naming) => formatRow(benchEncoder({ runs, naming })));
console.log([...encoderHeader, ...encoderRows].join('\n'));

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
    ['service-worker heap after GC: first / last / peak', `${kib(r.workerHeapFirst)} / ${kib(r.workerHeapLast)} / ${kib(r.workerHeapPeak)}`, 'peak < 5 MB'],
    ['service-worker heap slope after warm-up', `${(r.workerHeapSlope / 1024).toFixed(1)} KiB/min`, 'flat'],
    ['page heap after GC: peak, slope', `${kib(r.pageHeapPeak)}, ${(r.pageHeapSlope / 1024).toFixed(1)} KiB/min`, 'flat'],
    ['extension process CPU (worker + hidden extension pages)', `${r.cpuPercent.toFixed(2)} % of a core`, '< 1 %'],
    ['longest worker event-loop stall after warm-up', `${r.longestStallMs.toFixed(0)} ms`, ''],
    ['storage in use: session / local / sync', `${r.storage.session} B / ${r.storage.local} B / ${r.storage.sync} B`, '< 5 MB'],
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
  soakSection = [
    table.join('\n'),
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

const doc = `# Benchmarks

Written by \`npm run bench\` (scripts/bench.mjs) on ${new Date().toISOString().slice(0, 10)}; rerun it to refresh.

## Encoder: cost and size per getStats() report

${[...encoderHeader, ...encoderRows].join('\n')}

${runs} runs per naming mode on the recorded Chromium audio+video loopback fixture (tests/fixtures).

## Soak: built extension, headless Chromium, real Pushgateway

${soakSection}

## How the soak measures

- **Heap**: \`HeapProfiler.collectGarbage\` then \`Runtime.getHeapUsage\` on the service-worker target
  (through a browser CDP session) and on the call page, every 15 s. The slope is a least-squares fit
  over the samples after the warm-up.
- **CPU**: utime + stime from \`/proc/<pid>/stat\` of Chromium's extension renderer process (the one
  started with \`--extension-process\`; it runs the service worker), over the time after warm-up. The
  CDP \`Performance\` domain does not exist on a worker target.
- **Longest stall**: a 100 ms \`setInterval\` inside the worker records how late its ticks run; the
  largest lateness after the warm-up is the longest time anything blocked the worker's event loop
  (plus scheduling noise from the shared machine).
- **Storage**: \`getBytesInUse(null)\` of storage.session, storage.local and storage.sync, at the end.
- Not in \`npm test\`: CI runs the short bounds tests (tests/e2e/chromium/bounds.e2e.ts) instead.
`;
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
fs.writeFileSync(path.join(root, 'docs/benchmarks.md'), doc);
console.log('\nwrote docs/benchmarks.md');
