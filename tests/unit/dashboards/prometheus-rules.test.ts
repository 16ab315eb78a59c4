import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPromtool } from '../../e2e/support/promtool';
import { contractMetricNames, webrtcMetricNamesIn } from '../../e2e/support/metric-contract';

const PROMETHEUS_DIR = path.resolve('prometheus');
const RULE_FILES = ['recording-rules.yml', 'alert-rules.yml'];
const RULE_TESTS = readdirSync(path.join(PROMETHEUS_DIR, 'tests')).filter((name) => name.endsWith('.test.yml')).sort();

/** `expr:` values of a rules file (block scalars and one-liners), enough to list the names they read. */
function ruleExpressions(file: string): string[] {
  const text = readFileSync(path.join(PROMETHEUS_DIR, file), 'utf8');
  return [...text.matchAll(/^(\s+)expr: (?:\|\n((?:\1\s+.*\n|\s*\n)+)|(.+)\n)/gm)].map((match) => (match[2] ?? match[3])!.trim());
}

function alertNames(): string[] {
  const text = readFileSync(path.join(PROMETHEUS_DIR, 'alert-rules.yml'), 'utf8');
  return [...text.matchAll(/^\s+- alert: (\w+)$/gm)].map((match) => match[1]!);
}

describe('prometheus rules', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  it('pass promtool check rules', () => {
    const run = runPromtool(['check', 'rules', ...RULE_FILES], { cwd: PROMETHEUS_DIR });
    expect(run.output).toContain('SUCCESS: 7 rules found');
    expect(run.output).toContain('SUCCESS: 12 rules found');
    expect(run.status).toBe(0);
  });

  it.each(RULE_TESTS)('pass the promtool unit tests in %s', (file) => {
    const run = runPromtool(['test', 'rules', path.join('tests', file)], { cwd: PROMETHEUS_DIR });
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it.each(alertNames())('test %s in a promtool unit test', (alert) => {
    const tests = RULE_TESTS.map((file) => readFileSync(path.join(PROMETHEUS_DIR, 'tests', file), 'utf8')).join('\n');
    // Fires somewhere (an expected alert with labels) and is checked silent somewhere (exp_alerts: []).
    expect(tests).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`));
    expect(tests).toMatch(new RegExp(`alertname: ${alert}, exp_alerts: \\[\\] \\}`));
  });

  it.each(RULE_FILES)('%s reads only metric names of the quality-profile contract', (file) => {
    const contract = contractMetricNames();
    const names = ruleExpressions(file).flatMap(webrtcMetricNamesIn);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !contract.has(name))).toEqual([]);
  });

  it('fails its unit tests when a threshold is wrong, so the passes above mean something', () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'rules-mutant-'));
    cpSync(PROMETHEUS_DIR, scratch, { recursive: true });
    const alerts = path.join(scratch, 'alert-rules.yml');
    writeFileSync(alerts, readFileSync(alerts, 'utf8').replace(') > 0.01\n', ') > 0.001\n'));
    const run = runPromtool(['test', 'rules', path.join('tests', 'call-quality.test.yml')], { cwd: scratch });
    expect(run.status).toBe(1);
    // The good call (0.2 % loss) now alerts too.
    expect(run.output).toMatch(/alertname: WebRTCCallPacketLoss[\s\S]*call_id="good"/);
  });
});

describe('scrape config example', () => {
  const text = readFileSync(path.join(PROMETHEUS_DIR, 'scrape-config.example.yml'), 'utf8');

  it('passes promtool check config', () => {
    const run = runPromtool(['check', 'config', 'scrape-config.example.yml'], { cwd: PROMETHEUS_DIR });
    expect(run.output).toContain('is valid prometheus config file syntax');
    expect(run.status).toBe(0);
  });

  it.each(['honor_labels: true', 'sample_limit:', 'label_limit:', 'label_value_length_limit:'])('sets %s', (setting) => {
    expect(text).toContain(`\n    ${setting}`);
  });
});
