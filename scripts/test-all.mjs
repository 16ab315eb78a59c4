#!/usr/bin/env node
// The whole test suite, as CI runs it: typecheck, lint, unit tests, then the Chromium and the
// Firefox end-to-end tests (each on a fresh build). Every step runs even if an earlier one failed,
// so one run shows every failure. Ends with a plain line `N passed, N failed[, N skipped]`
// (vitest's own summary is not a closing line CI recognises) and exits non-zero on any failure.
//
// The e2e builds set E2E_LOOPBACK=1: a headless browser cannot answer the host-permission prompt
// (measured: in headless Chromium `permissions.request()` never settles and no dialog can be
// accepted), so test builds hold http://127.0.0.1/* at install.
//
// The end-to-end files run in two lanes at once. Most of their time is spent waiting on real
// time (gateway outages, push windows, alert rules, a two-minute soak), not on the CPU, so two
// browsers side by side on a 2-core machine take about half the wall time of one after the other;
// every bound in them is set for a loaded machine. Lane 1: most Chromium files; lane 2: the other
// Chromium files, then Firefox. managed-policy runs alone at the end: it writes Chromium's
// machine-wide policy directory, which every Chromium on the machine would read.
// `E2E_LANES=1` runs them one after the other instead.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-all-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const chromiumDir = 'tests/e2e/chromium';
const ALONE = [`${chromiumDir}/managed-policy.e2e.ts`];
/** Chromium files of lane 2 (beside Firefox), chosen so both lanes take about as long. */
const LANE_2_CHROMIUM = ['remote-write', 'dashboards', 'gateway-target-change', 'durable-state', 'durable-deletes'].map(
  (name) => `${chromiumDir}/${name}.e2e.ts`,
);

const chromiumFiles = fs
  .readdirSync(chromiumDir)
  .filter((file) => file.endsWith('.e2e.ts'))
  .map((file) => `${chromiumDir}/${file}`)
  .filter((file) => !ALONE.includes(file));
const lane1 = chromiumFiles.filter((file) => !LANE_2_CHROMIUM.includes(file));
const lane2 = chromiumFiles.filter((file) => LANE_2_CHROMIUM.includes(file));

const vitest = (name, project, files, json) => ({ name, cmd: 'npx', args: ['vitest', 'run', '--project', project, ...files], json });
const serial = [
  { name: 'typecheck', cmd: npm, args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: npm, args: ['run', '--silent', 'lint'] },
  vitest('unit', 'unit', [], 'unit.json'),
  { name: 'build e2e chromium', cmd: npm, args: ['run', '--silent', 'build:e2e'] },
  { name: 'build e2e firefox', cmd: npm, args: ['run', '--silent', 'build:e2e:firefox'] },
];
const lanes = [
  [vitest('e2e chromium (lane 1)', 'e2e-chromium', lane1, 'e2e-chromium-1.json')],
  [vitest('e2e chromium (lane 2)', 'e2e-chromium', lane2, 'e2e-chromium-2.json'), vitest('e2e firefox', 'e2e-firefox', [], 'e2e-firefox.json')],
];
const last = [vitest('e2e chromium (alone: machine-wide policy)', 'e2e-chromium', ALONE, 'e2e-chromium-alone.json')];

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
const suiteStarted = Date.now();

for (const step of serial) record(step, await run(step, 'inherit'));
if (process.env.E2E_LANES === '1') {
  for (const step of lanes.flat()) record(step, await run(step, 'inherit'));
} else {
  // Lane 1 prints as it goes; lane 2 is kept in a file and printed when both are done.
  const laneLog = path.join(reportDir, 'lane-2.log');
  const results = await Promise.all(
    lanes.map(async (lane, index) => {
      const out = [];
      for (const step of lane) out.push([step, await run(step, index === 0 ? 'inherit' : laneLog)]);
      return out;
    }),
  );
  console.log(`\n=== lane 2 output (it ran beside lane 1)\n${fs.readFileSync(laneLog, 'utf8')}`);
  for (const [step, result] of results.flat()) record(step, result);
}
for (const step of last) record(step, await run(step, 'inherit'));

fs.rmSync(reportDir, { recursive: true, force: true });
console.log('\n=== summary');
for (const line of lines) console.log(line);
console.log(`whole suite: ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s`);
const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.exit(totals.failed > 0 ? 1 : 0);

/** Runs one step; `output` is 'inherit' (this terminal) or a file the step's output is appended to. */
async function run(step, output) {
  const args = [...step.args];
  const jsonFile = step.json ? path.join(reportDir, step.json) : undefined;
  if (jsonFile) args.push('--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile=${jsonFile}`);
  const banner = `\n=== ${step.name}: ${step.cmd} ${args.join(' ')}\n`;
  const started = Date.now();
  if (output === 'inherit') console.log(banner);
  else fs.appendFileSync(output, banner);
  const fd = output === 'inherit' ? undefined : fs.openSync(output, 'a');
  // Never spawnSync: it would block this process, and the other lane could not start until it ended.
  const status = await new Promise((resolve) => {
    const child = spawn(step.cmd, args, { stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd] });
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(1));
  });
  if (fd !== undefined) fs.closeSync(fd);
  return { ok: status === 0, seconds: ((Date.now() - started) / 1000).toFixed(0), counts: jsonFile ? readCounts(jsonFile) : undefined };
}

function record(step, { ok, seconds, counts }) {
  if (counts) {
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
    // A failing step that reported no failed test (a crash, a build error, an unhandled error) still counts.
    if (!ok && counts.failed === 0) totals.failed += 1;
    lines.push(`${step.name}: ${ok ? 'ok' : 'FAILED'} (${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${seconds} s)`);
  } else {
    if (ok) totals.passed += 1;
    else totals.failed += 1;
    lines.push(`${step.name}: ${ok ? 'ok' : 'FAILED'} (${seconds} s)`);
  }
}

/** Test counts from vitest's JSON reporter, or undefined when it wrote nothing (step crashed). */
function readCounts(file) {
  if (!fs.existsSync(file)) return undefined;
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    return {
      passed: report.numPassedTests ?? 0,
      failed: report.numFailedTests ?? 0,
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    };
  } catch {
    return undefined;
  }
}
