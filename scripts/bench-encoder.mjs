#!/usr/bin/env -S npx tsx
/**
 * Encoder cost per getStats() report and bytes on the wire, on the recorded Chromium
 * audio+video fixture (both sides of the 2-PC call, two samples each).
 *
 * Usage: npx tsx scripts/bench-encoder.mjs [runs]    (default 2,000 runs per profile)
 * Prints one markdown row per export profile (median and p95 wall-clock µs, mean CPU µs,
 * bytes and gzip bytes of one body), then the wire figures at the defaults.
 *
 * Per profile, what is timed is the work a push of one connection costs in the background:
 * `quality` encodes the connection's window (the quality engine's own per-report `add` is
 * timed on its own row, since it runs at poll rate); `full` the window plus the raw fields;
 * `legacy` the raw fields under the older names. It needs a TypeScript-aware runner (tsx).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { encodeConnection } from '../utils/metrics/export-profiles.ts';
import { gzipText } from '../utils/export/pushgateway-client.ts';
import { createQualityWindow } from '../utils/quality/quality-window.ts';
import { qualityThresholdsSchema } from '../utils/quality/quality-types.ts';

const FIXTURE = fileURLToPath(new URL('../tests/fixtures/chromium-av-loopback.json', import.meta.url));
const LABELS = { agent_id: 'agent-0001', platform: 'teams', origin: 'https://teams.microsoft.com' };
const THRESHOLDS = qualityThresholdsSchema.parse({});
const START = 1_764_600_000_000;
/** Defaults of the settings schema: poll 2 s, push 10 s. */
const POLL_MS = 2_000;
const PUSH_MS = 10_000;

function recordedPc(index = 0) {
  const pc = JSON.parse(readFileSync(FIXTURE, 'utf8')).pcs[index];
  const samples = pc.samples ?? [pc.stats];
  const engine = createQualityWindow({ thresholds: () => THRESHOLDS });
  samples.forEach((stats, i) => engine.add(stats, START + i * POLL_MS));
  return { samples, stats: pc.stats, window: engine.take(START + samples.length * POLL_MS) };
}

function time(runs, fn) {
  for (let i = 0; i < Math.min(200, runs); i += 1) fn(i);
  const times = new Float64Array(runs);
  let result;
  // CPU time alongside wall time: on a shared machine the wall-clock median includes waiting
  // for a core, which CPU time does not.
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    result = fn(i);
    times[i] = (performance.now() - start) * 1_000;
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort();
  return {
    result,
    medianMicros: times[Math.floor(runs / 2)],
    p95Micros: times[Math.floor(runs * 0.95)],
    cpuMicros: (cpu.user + cpu.system) / runs,
  };
}

/**
 * Times `runs` encodings of one connection's push under `profile` (after a warm-up).
 * @param {{ runs?: number, profile?: 'quality' | 'full' | 'legacy' }} [options]
 */
export function benchEncoder(options = {}) {
  const runs = options.runs ?? 2_000;
  const profile = options.profile ?? 'quality';
  const { stats, window } = recordedPc();
  const labels = profile === 'legacy' ? { pageUrl: LABELS.origin } : {};
  const input = { window, stats, startedAt: START };
  const timed = time(runs, () => encodeConnection(profile, input, { labels, maxSeries: 5_000 }));
  return {
    what: `encodeConnection (${profile})`,
    input: `${stats.length} objects -> ${timed.result.series} series`,
    ...timed,
    bytes: Buffer.byteLength(timed.result.text, 'utf8'),
    gzipBytes: gzipSync(timed.result.text).length,
  };
}

/** Times the quality engine's `add` of one report (it runs at poll rate, for every profile but legacy). */
export function benchWindowAdd(options = {}) {
  const runs = options.runs ?? 2_000;
  const { samples } = recordedPc();
  const engine = createQualityWindow({ thresholds: () => THRESHOLDS });
  const timed = time(runs, (i) => {
    engine.add(samples[i % samples.length], START + i * POLL_MS);
    if (i % 5 === 4) engine.take(START + i * POLL_MS);
  });
  return { what: 'quality window add (per report)', input: `${samples[0].length} objects`, ...timed, bytes: 0, gzipBytes: 0 };
}

/** One markdown table row for a result of `benchEncoder()` or `benchWindowAdd()`. */
export function formatRow(r) {
  const bytes = r.bytes ? `${r.bytes} B` : '–';
  const gzip = r.gzipBytes ? `${r.gzipBytes} B` : '–';
  return `| ${r.what} | ${r.input} | ${r.medianMicros.toFixed(1)} µs | ${r.p95Micros.toFixed(1)} µs | ${r.cpuMicros.toFixed(1)} µs | ${bytes} | ${gzip} |`;
}

/** The extension's own gzip (utils/export/pushgateway-client.ts), so the figure is what it costs. */
async function compressionStreamGzip(text) {
  return (await gzipText(text)).length;
}

/**
 * Bytes per connection per minute at the defaults (push every 10 s, gzip on), both sides of the
 * recorded call, and what gzip costs: CompressionStream (the API the extension uses; Node's is
 * the same zlib) timed per body. Bodies only: HTTP headers are not counted.
 */
export async function benchWire(options = {}) {
  const runs = options.runs ?? 500;
  const pushesPerMinute = 60_000 / PUSH_MS;
  const rows = [];
  for (const profile of ['quality', 'full', 'legacy']) {
    let raw = 0;
    let gzip = 0;
    let gzipMicros = 0;
    for (const index of [0, 1]) {
      const { stats, window } = recordedPc(index);
      const labels = profile === 'legacy' ? { pageUrl: LABELS.origin } : {};
      const { text } = encodeConnection(profile, { window, stats, startedAt: START }, { labels, maxSeries: 5_000 });
      raw += Buffer.byteLength(text, 'utf8');
      gzip += await compressionStreamGzip(text);
      for (let i = 0; i < 20; i += 1) await compressionStreamGzip(text);
      // CPU, not wall time: zlib runs on Node's thread pool and waits for a core on a loaded machine.
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < runs; i += 1) await compressionStreamGzip(text);
      const cpu = process.cpuUsage(cpuStart);
      gzipMicros += (cpu.user + cpu.system) / runs;
    }
    rows.push({
      profile,
      rawPerMinute: (raw / 2) * pushesPerMinute,
      gzipPerMinute: (gzip / 2) * pushesPerMinute,
      gzipMicrosPerPush: gzipMicros / 2,
    });
  }
  return rows;
}

/** Markdown lines for the result of `benchWire()`. */
export function formatWire(rows) {
  return [
    '| profile | body bytes per connection per minute (push 10 s) | gzipped | CompressionStream CPU per push |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.profile} | ${(r.rawPerMinute / 1024).toFixed(1)} KiB | ${(r.gzipPerMinute / 1024).toFixed(1)} KiB | ${r.gzipMicrosPerPush.toFixed(0)} µs |`,
    ),
  ];
}

export const ENCODER_HEADER = [
  '| what | input | median per push (wall) | p95 (wall) | CPU (mean) | bytes | gzip |',
  '|---|---|---|---|---|---|---|',
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = Number(process.argv[2] ?? 2_000);
  console.log(ENCODER_HEADER.join('\n'));
  for (const profile of ['quality', 'full', 'legacy']) console.log(formatRow(benchEncoder({ runs, profile })));
  console.log(formatRow(benchWindowAdd({ runs })));
  console.log(`\n${formatWire(await benchWire()).join('\n')}`);
  const load = (await import('node:os')).loadavg()[0].toFixed(1);
  console.log(`\n${runs} runs per profile, Chromium AV loopback fixture (caller), node ${process.version}, load average ${load}.`);
}
