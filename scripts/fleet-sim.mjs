#!/usr/bin/env node
/**
 * npm run fleet -- --agents N --target pushgateway|remote-write|vm [--step-seconds S] [--interval-ms MS]
 *
 * Simulated agents (the product's encoder on a recorded call) push at the product's push cadence
 * to a target started here on loopback: a Pushgateway, Prometheus as a remote-write receiver, or
 * VictoriaMetrics. Agents step up (doubling from 25) to N; each step runs --step-seconds after a
 * one-interval ramp. Stops at the first step with an error or p99 latency over 1 s, and prints
 * the sustained agents, the target's CPU and RSS, series and churn. Bounded: N ≤ 20,000, steps ≤ 12.
 */
import { load, parseArgs } from './lib/script-setup.mjs';

const args = parseArgs();
const target = args.option('target', 'pushgateway');
if (!['pushgateway', 'remote-write', 'vm'].includes(target)) {
  console.error(`--target must be pushgateway, remote-write or vm (got ${target})`);
  process.exit(2);
}
const maxAgents = Math.min(20_000, Number(args.option('agents', '800')));
const stepSeconds = Number(args.option('step-seconds', '30'));
const pushIntervalMs = Number(args.option('interval-ms', '10000'));
const steps = [];
for (let agents = 25; agents < maxAgents && steps.length < 11; agents *= 2) steps.push(agents);
steps.push(maxAgents);

const { runFleet } = await load('scripts/lib/fleet-sim.ts');
const { createFixtureSource } = await load('scripts/lib/fleet-source.ts');
const result = await runFleet({
  target,
  source: createFixtureSource(),
  steps,
  stepSeconds,
  pushIntervalMs,
  callSeconds: [60, 240],
  maxP99Ms: 1_000,
  log: (line) => console.log(line),
});
console.log(JSON.stringify(result, null, 2));
console.log(`sustained agents (${target}): ${result.sustainedAgents}; series per call: ${result.seriesPerCall}`);
