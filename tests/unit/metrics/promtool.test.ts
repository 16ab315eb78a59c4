import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../utils/metrics/encode-snapshot';
import { encodeExporterMetrics } from '../../../utils/metrics/exporter-metrics';
import { FIXTURE_NAMES, loadFixture } from '../../fixtures/load-fixture';

const PROMTOOL = '/usr/bin/promtool';

function promtool(text: string): { output: string; status: number | null } {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`${PROMTOOL} is missing: install Debian's "prometheus" package (apt-get install prometheus) to run this test`);
  }
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { output: `${run.stdout}${run.stderr}`, status: run.status };
}

const LABELS = { agent_id: 'agent "7"\\\nx', platform: 'genesys', origin: 'https://apps.mypurecloud.com' };

describe('promtool check metrics', () => {
  it.each(FIXTURE_NAMES)('accepts the conventional output of %s without a single remark', (fixture) => {
    for (const pc of loadFixture(fixture).pcs) {
      const { text } = encodeSnapshot(pc.stats, { naming: 'conventional', labels: LABELS, maxSeries: 5_000 });
      expect(text).not.toBe('');
      expect(promtool(text)).toEqual({ output: '', status: 0 });
    }
  });

  it.each(FIXTURE_NAMES)('parses the legacy output of %s, objecting only to its camelCase names', (fixture) => {
    const pc = loadFixture(fixture).pcs[0]!;
    const { text } = encodeSnapshot(pc.stats, { naming: 'legacy', labels: { pageUrl: 'https://x.example/"a"' }, maxSeries: 5_000 });
    const { output, status } = promtool(text);
    expect(status).toBe(3); // lint remarks only; a parse error is status 1
    const remarks = output.trim().split('\n');
    const unexpected = remarks.filter((line) => !/ (metric|label) names should be written in 'snake_case' not 'camelCase'$/.test(line));
    expect(unexpected).toEqual([]);
    expect(remarks.length).toBeGreaterThan(0);
  });

  it('accepts the exporter self metrics without a single remark', () => {
    const text = encodeExporterMetrics(
      {
        pushesOk: 10, pushesFailed: 2, deletesOk: 1, breakerState: 'half-open', outboxGroups: 3, outboxBytes: 4096,
        pendingDeletes: 1, rejectedGroups: 0, connections: 2, reportsAccepted: 50, lastSuccessAt: 1_700_000_000_000,
        drops: { 'queue-full': 3, 'rate-limit': 1 }, degraded: false, outboxMaxGroups: 500, pushIntervalSeconds: 10,
        calls: { started: { teams: 2 }, ended: { 'teams/fair': 1 } },
      },
      LABELS,
    );
    expect(promtool(text)).toEqual({ output: '', status: 0 });
  });

  it('catches a malformed body, so the checks above can fail', () => {
    expect(promtool('bad{x="1} 1\n').status).toBe(1);
  });
});
