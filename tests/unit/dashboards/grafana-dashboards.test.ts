import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DASHBOARD_FILES,
  GRAFANA_BUILTIN_VARIABLES,
  labelValuesSelector,
  loadDashboard,
  panelQueries,
  queryPanels,
  readDashboardText,
  substituteVariables,
  variableQuery,
  variablesUsed,
  type Dashboard,
  type DashboardName,
} from '../../e2e/support/grafana-dashboard';
import { contractMetricNames, webrtcMetricNamesIn } from '../../e2e/support/metric-contract';
import { runPromtool } from '../../e2e/support/promtool';

const NAMES = Object.keys(DASHBOARD_FILES) as DashboardName[];
const INPUT = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
// Values of the shape Grafana sends (a multi-value variable becomes a regex alternation).
const SAMPLE_VALUES = {
  job: 'webrtc-internals-exporter',
  platform: '(teams|meet)',
  agent: '.*',
  call: 'c-1',
  connection: '.*',
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

/** Every object under a `datasource` key anywhere in the JSON, with its path. */
function datasourceRefs(node: unknown, at = '$'): Array<{ at: string; ref: unknown }> {
  if (Array.isArray(node)) return node.flatMap((item, i) => datasourceRefs(item, `${at}[${i}]`));
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'datasource' ? [{ at: `${at}.datasource`, ref: value }] : datasourceRefs(value, `${at}.${key}`),
  );
}

/** Every PromQL expression of a dashboard (panel queries, variable selectors), variables substituted. */
function substitutedExpressions(dashboard: Dashboard): string[] {
  const panels = panelQueries(dashboard).map((query) => query.expr);
  const variables = dashboard.templating.list.map(variableQuery).map((query) => labelValuesSelector(query) ?? query);
  return [...panels, ...variables].map((expr) => substituteVariables(expr, SAMPLE_VALUES));
}

describe('grafana dashboards', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  /** promtool check rules on every expression as a recording rule: promtool 2.42 parses PromQL only inside rules. */
  function checkParses(exprs: string[]) {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'dashboard-exprs-'));
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] };
    const file = path.join(scratch, 'rules.json');
    writeFileSync(file, JSON.stringify(rules)); // JSON is YAML
    return runPromtool(['check', 'rules', file]);
  }

  it.each(NAMES)('%s is valid JSON with the parts Grafana imports', (name) => {
    expect(() => JSON.parse(readDashboardText(name))).not.toThrow();
    const dashboard = loadDashboard(name);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(queryPanels(dashboard).length).toBeGreaterThan(10);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
  });

  it.each(NAMES)('%s: every panel, target and variable uses the DS_PROMETHEUS input', (name) => {
    const dashboard = loadDashboard(name);
    for (const panel of queryPanels(dashboard)) {
      expect(panel.datasource, panel.title).toEqual(INPUT);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(INPUT);
    }
    for (const variable of dashboard.templating.list) expect(variable.datasource, variable.name).toEqual(INPUT);
  });

  it.each(NAMES)('%s holds no hard-coded datasource uid anywhere', (name) => {
    const refs = datasourceRefs(JSON.parse(readDashboardText(name)));
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter(({ ref }) => JSON.stringify(ref) !== JSON.stringify(INPUT))).toEqual([]);
  });

  it.each(NAMES)('%s uses only variables it defines (or Grafana built-ins)', (name) => {
    const dashboard = loadDashboard(name);
    const defined = new Set<string>([...dashboard.templating.list.map((variable) => variable.name), ...GRAFANA_BUILTIN_VARIABLES]);
    const texts = [...panelQueries(dashboard).map((query) => query.expr), ...dashboard.templating.list.map(variableQuery)];
    const used = new Set(texts.flatMap(variablesUsed));
    expect([...used].filter((variable) => !defined.has(variable))).toEqual([]);
    // And each defined variable is used somewhere (else it is a dead filter in the UI).
    const own = dashboard.templating.list.map((variable) => variable.name);
    expect(own.filter((variable) => !used.has(variable))).toEqual([]);
  });

  it.each(NAMES)('%s: every expression parses (promtool check rules)', (name) => {
    const exprs = substitutedExpressions(loadDashboard(name));
    const run = checkParses(exprs);
    expect(run.output).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(run.status).toBe(0);
  });

  it('catches an expression that does not parse, so the check above can fail', () => {
    const run = checkParses(['sum(rate(webrtc_mos[5m])']);
    expect(run.status).toBe(1);
  });

  it('catches a variable the dashboard does not define', () => {
    expect(() => substituteVariables('webrtc_mos{call_id=~"$room"}', SAMPLE_VALUES)).toThrow('no value for variable $room');
  });

  it('quality dashboard reads only metric names of the quality-profile contract', () => {
    const contract = contractMetricNames();
    const names = substitutedExpressions(loadDashboard('quality')).flatMap(webrtcMetricNamesIn);
    expect(names.filter((metric) => !contract.has(metric))).toEqual([]);
  });

  it.each([
    ['live calls per platform', 'webrtc_connection_start_timestamp_seconds'],
    ['quality class', 'webrtc_quality_class'],
    ['quality reasons', 'webrtc_quality_reason'],
    ['MOS', 'webrtc_mos'],
    ['bitrate', 'webrtc_bitrate_bytes_per_second'],
    ['loss %', '100 * max by (agent_id, call_id, kind, direction) (webrtc_packet_loss_ratio'],
    ['jitter ms', '1000 * max by (agent_id, call_id, kind, direction) (webrtc_jitter_seconds'],
    ['RTT ms', '1000 * max by (agent_id, call_id) (webrtc_round_trip_time_seconds'],
    ['freezes', 'webrtc_video_freezes_total'],
    ['frozen share', 'webrtc_video_frozen_ratio'],
    ['fps', 'webrtc_video_frames_per_second'],
    ['resolution', 'webrtc_video_frame_height_pixels'],
    ['audio concealment', 'webrtc_audio_concealment_ratio'],
    ['worst agents in the range', '[$__range]'],
    ['breaker state', 'webrtc_exporter_breaker_state'],
    ['outbox fill', 'webrtc_exporter_outbox_max_groups'],
    ['drops rate', 'rate(webrtc_exporter_dropped_total'],
    ['last push age', 'time() - max by (agent_id, exporter_instance) (push_time_seconds'],
  ])('quality dashboard has a panel for %s', (_what, fragment) => {
    const exprs = panelQueries(loadDashboard('quality')).map((query) => query.expr);
    expect(exprs.some((expr) => expr.includes(fragment))).toBe(true);
  });

  it.each(NAMES)('%s never filters on exported_job (it must work with honor_labels: true)', (name) => {
    const exprs = substitutedExpressions(loadDashboard(name));
    expect(exprs.filter((expr) => expr.includes('exported_job'))).toEqual([]);
    expect(exprs.filter((expr) => /\bjob=~"/.test(expr)).length).toBeGreaterThan(10);
  });
});
