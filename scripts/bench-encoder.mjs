#!/usr/bin/env -S npx tsx
/**
 * Encoder cost per getStats() report, on the recorded Chromium audio+video fixture.
 *
 * Usage: npx tsx scripts/bench-encoder.mjs [runs]    (default 2,000 runs per mode)
 * Prints one markdown table row per naming mode: median and p95 wall-clock µs per report, mean
 * CPU µs per report, bytes of exposition text per report, and the same gzip-compressed.
 *
 * `benchEncoder()` is exported for an aggregate benchmark to call; it needs a TypeScript-aware
 * runner (tsx) because it imports the encoder's source.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { encodeSnapshot } from '../utils/metrics/encode-snapshot.ts';

const FIXTURE = fileURLToPath(new URL('../tests/fixtures/chromium-av-loopback.json', import.meta.url));
const LABELS = { agent_id: 'agent-0001', platform: 'teams', origin: 'https://teams.microsoft.com' };

/**
 * Times `runs` encodings of one report (after a warm-up) and returns the figures.
 * @param {{ runs?: number, naming?: 'conventional' | 'legacy', stats?: object[] }} [options]
 */
export function benchEncoder(options = {}) {
  const runs = options.runs ?? 2_000;
  const naming = options.naming ?? 'conventional';
  const stats = options.stats ?? JSON.parse(readFileSync(FIXTURE, 'utf8')).pcs[0].stats;
  const encodeOptions = { naming, labels: LABELS, maxSeries: 5_000 };
  for (let i = 0; i < Math.min(200, runs); i += 1) encodeSnapshot(stats, encodeOptions);
  const times = new Float64Array(runs);
  let result;
  // CPU time alongside wall time: on a shared machine the wall-clock median includes waiting
  // for a core, which CPU time does not.
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    result = encodeSnapshot(stats, encodeOptions);
    times[i] = (performance.now() - start) * 1_000;
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort();
  const bytes = Buffer.byteLength(result.text, 'utf8');
  return {
    naming,
    runs,
    statsObjects: stats.length,
    series: result.series,
    medianMicros: times[Math.floor(runs / 2)],
    p95Micros: times[Math.floor(runs * 0.95)],
    cpuMicrosPerReport: (cpu.user + cpu.system) / runs,
    bytes,
    gzipBytes: gzipSync(result.text).length,
  };
}

/** One markdown table row for a result of `benchEncoder()`. */
export function formatRow(r) {
  return `| encodeSnapshot (${r.naming}) | ${r.statsObjects} objects -> ${r.series} series | ${r.medianMicros.toFixed(0)} µs | ${r.p95Micros.toFixed(0)} µs | ${r.cpuMicrosPerReport.toFixed(0)} µs | ${r.bytes} B | ${r.gzipBytes} B |`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = Number(process.argv[2] ?? 2_000);
  console.log('| what | input | median per report (wall) | p95 (wall) | CPU per report (mean) | bytes per report | gzip |');
  console.log('|---|---|---|---|---|---|---|');
  for (const naming of ['conventional', 'legacy']) console.log(formatRow(benchEncoder({ runs, naming })));
  const load = (await import('node:os')).loadavg()[0].toFixed(1);
  console.log(`\n${runs} runs per mode, Chromium AV loopback fixture (caller), node ${process.version}, load average ${load}.`);
}
