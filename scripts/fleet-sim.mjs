#!/usr/bin/env node
/**
 * npm run fleet -- --target pushgateway|remote-write|vm [--agents N] [--start A] [--growth F]
 *                  [--step-seconds S] [--interval-ms MS] [--call-seconds C] [--gap-seconds G]
 *                  [--poor-share P] [--max-minutes M] [--seed N] [--json FILE]
 *                  [--no-consistency-check]
 *
 * Simulated agents push what the extension pushes with its default settings (the quality
 * profile of a recorded 2-PC audio+video call, encoded per push by the product's own encoder,
 * plus the per-browser self-metrics group) at the push cadence, through the product's own
 * Pushgateway / remote-write clients, to a target started here on loopback: a Pushgateway,
 * Prometheus as a remote-write receiver, or VictoriaMetrics. Agents take call after call (mean
 * call C s, mean gap G s): the Pushgateway path deletes an ended call's groups, on remote-write
 * its series stop. Agents step up from A by a factor F to N; each step is measured for S seconds
 * after a one-interval ramp. Stops at the first step with an error or p99 request latency over
 * 1 s, or when the next step would pass M minutes. Prints each step's figures and the sustained
 * agents. `--no-consistency-check` starts the Pushgateway with `--push.disable-consistency-check`
 * (each push is then not checked against every metric it holds). Bounded: N ≤ 20,000, at most 16 steps, M ≤ 30.
 */
import fs from 'node:fs';
import { load, parseArgs } from './lib/script-setup.mjs';

const args = parseArgs();

/** A numeric option within [min, max], or exit with a clear message. */
function number(name, fallback, min, max) {
  const raw = args.option(name, String(fallback));
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`--${name} must be a number from ${min} to ${max} (got ${raw})`);
    process.exit(2);
  }
  return value;
}

const target = args.option('target', 'pushgateway');
if (!['pushgateway', 'remote-write', 'vm'].includes(target)) {
  console.error(`--target must be pushgateway, remote-write or vm (got ${target})`);
  process.exit(2);
}
const maxAgents = Math.round(number('agents', 20_000, 1, 20_000));
const startAgents = Math.round(number('start', 50, 1, 20_000));
const growth = number('growth', 1.5, 1.05, 4);
const stepSeconds = number('step-seconds', 30, 5, 600);
const pushIntervalMs = number('interval-ms', 10_000, 250, 600_000);
const meanCallSeconds = number('call-seconds', 240, 1, 86_400);
const meanGapSeconds = number('gap-seconds', 30, 1, 86_400);
const poorShare = number('poor-share', 0.1, 0, 1);
const maxMinutes = number('max-minutes', 8, 1, 30);
const seed = Math.round(number('seed', 12, 0, 2 ** 31));
const jsonFile = args.option('json', '');
const noConsistencyCheck = args.flag('no-consistency-check');
if (noConsistencyCheck && target !== 'pushgateway') {
  console.error('--no-consistency-check applies to --target pushgateway only');
  process.exit(2);
}

const steps = [];
for (let agents = Math.min(startAgents, maxAgents); steps.length < 16; agents = Math.ceil(agents * growth)) {
  steps.push(Math.min(agents, maxAgents));
  if (agents >= maxAgents) break;
}

const { runFleet } = await load('scripts/lib/fleet-sim.ts');
const { createQualitySource } = await load('scripts/lib/fleet-source.ts');
const { createCallSchedule } = await load('scripts/lib/fleet-churn.ts');
const { mulberry32 } = await load('tests/unit/storage/seeded-random.ts');
console.log(`fleet: ${target}, steps ${steps.join(', ')}; calls ~${meanCallSeconds} s, gaps ~${meanGapSeconds} s, poor share ${poorShare}`);
const result = await runFleet({
  target,
  source: createQualitySource({ poorShare, pushIntervalMs }),
  schedule: createCallSchedule({ meanCallSeconds, meanGapSeconds, random: mulberry32(seed) }),
  steps,
  stepSeconds,
  pushIntervalMs,
  maxP99Ms: 1_000,
  maxRunMs: maxMinutes * 60_000,
  noConsistencyCheck,
  log: (line) => console.log(line),
});
const settings = { noConsistencyCheck, pushIntervalMs, meanCallSeconds, meanGapSeconds, poorShare, stepSeconds, seed };
if (jsonFile) fs.writeFileSync(jsonFile, `${JSON.stringify({ settings, ...result }, null, 2)}\n`);
console.log(
  `sustained agents (${target}): ${result.sustainedAgents} (stopped by ${result.stoppedBy}); ` +
    `series per call: ${result.seriesPerCall}; load average at start ${result.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`,
);
