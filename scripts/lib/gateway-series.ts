/**
 * What one call leaves in a real Pushgateway, as a Prometheus server scraping it would see it:
 * series per connection group and `promtool check metrics` on the gateway's exposition text
 * (npm run bench, docs/benchmarks.md "Series per call").
 */
import { connectionGroups } from '../../tests/e2e/support/exporter-control';
import { runPromtool } from '../../tests/e2e/support/promtool';
import type { Pushgateway } from '../../tests/e2e/support/pushgateway';

/** Series the gateway adds to every group by itself (one each), counted apart from the extension's. */
const GATEWAY_OWN = new Set(['push_time_seconds', 'push_failure_time_seconds']);

/** The gateway's own process metrics in `/metrics`: not the extension's, so not linted. */
const GATEWAY_PROCESS = /^(# (HELP|TYPE) )?(pushgateway_|go_|process_|promhttp_)/;

export interface CallSeries {
  groups: number;
  /** Series the extension pushed in the connection groups (every sample of every family). */
  series: number;
  /** push_time_seconds and push_failure_time_seconds, added by the gateway to each group. */
  gatewaySeries: number;
  /** Series per family name, for the report. */
  byFamily: Record<string, number>;
}

/** Counts the series of the connection groups (not the exporter's own per-browser group). */
export async function callSeries(gateway: Pushgateway): Promise<CallSeries> {
  const groups = await connectionGroups(gateway);
  const byFamily: Record<string, number> = {};
  let series = 0;
  let gatewaySeries = 0;
  for (const group of groups) {
    for (const [name, family] of Object.entries(group.families)) {
      if (GATEWAY_OWN.has(name)) {
        gatewaySeries += family.metrics.length;
        continue;
      }
      series += family.metrics.length;
      byFamily[name] = (byFamily[name] ?? 0) + family.metrics.length;
    }
  }
  return { groups: groups.length, series, gatewaySeries, byFamily };
}

/** `promtool check metrics` on the gateway's exposition text without the gateway's own process metrics. */
export async function promtoolCheck(gateway: Pushgateway): Promise<{ status: number | null; output: string }> {
  const text = (await gateway.text())
    .split('\n')
    .filter((line) => !GATEWAY_PROCESS.test(line))
    .join('\n');
  const run = runPromtool(['check', 'metrics'], { input: text });
  return { status: run.status, output: run.output.trim() };
}
