#!/usr/bin/env node
// The whole test suite, as CI runs it: typecheck, lint, unit tests, then the Chromium and the
// Firefox end-to-end tests (each on a fresh build). Every step runs even if an earlier one failed,
// so one run shows every failure. Ends with a plain line `N passed, N failed[, N skipped]`
// (vitest's own summary is not a closing line CI recognises) and exits non-zero on any failure.
//
// The e2e steps run `npm run test:e2e*`, whose own builds set E2E_LOOPBACK=1: a headless browser
// cannot answer the host-permission prompt (measured: in headless Chromium `permissions.request()`
// never settles and no dialog can be accepted), so test builds hold http://127.0.0.1/* at install.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-all-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Each step: a command; `json` when vitest writes its results there. */
const steps = [
  { name: 'typecheck', cmd: npm, args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: npm, args: ['run', '--silent', 'lint'] },
  { name: 'unit', cmd: 'npx', args: ['vitest', 'run', '--project', 'unit'], json: 'unit.json' },
  { name: 'e2e chromium', cmd: npm, args: ['run', 'test:e2e', '--'], json: 'e2e-chromium.json' },
  { name: 'e2e firefox', cmd: npm, args: ['run', 'test:e2e:firefox', '--'], json: 'e2e-firefox.json' },
];

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

for (const step of steps) {
  const args = [...step.args];
  const jsonFile = step.json ? path.join(reportDir, step.json) : undefined;
  if (jsonFile) args.push('--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile=${jsonFile}`);
  console.log(`\n=== ${step.name}: ${step.cmd} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(step.cmd, args, { stdio: 'inherit', env: { ...process.env, ...step.env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const ok = result.status === 0;
  const counts = jsonFile ? readCounts(jsonFile) : undefined;
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

fs.rmSync(reportDir, { recursive: true, force: true });
console.log('\n=== summary');
for (const line of lines) console.log(line);
const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.exit(totals.failed > 0 ? 1 : 0);

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
