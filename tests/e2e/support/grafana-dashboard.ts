import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Reads the shipped Grafana dashboards (grafana/*.json) the way the tests need them: every panel
 * query with its variables substituted, ready to send to a real Prometheus or to promtool.
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The dashboards this product ships, by the naming mode they are for. */
export const DASHBOARD_FILES = {
  quality: 'grafana/webrtc-call-quality.json',
  legacy: 'grafana/webrtc-legacy.json',
} as const;
export type DashboardName = keyof typeof DASHBOARD_FILES;

/** Variables Grafana itself defines (https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/#global-variables). */
export const GRAFANA_BUILTIN_VARIABLES = ['__rate_interval', '__interval', '__interval_ms', '__range', '__range_s', '__range_ms'] as const;

const datasourceSchema = z.object({ type: z.string(), uid: z.string() });
const targetSchema = z.looseObject({ refId: z.string(), expr: z.string().min(1), datasource: datasourceSchema.optional() });
const panelSchema = z.looseObject({
  id: z.number(),
  type: z.string(),
  title: z.string(),
  datasource: datasourceSchema.optional(),
  targets: z.array(targetSchema).optional(),
});
const variableSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string(),
  datasource: datasourceSchema.optional(),
  definition: z.string().optional(),
  query: z.union([z.string(), z.looseObject({ query: z.string() })]),
});

/** The parts of a Grafana dashboard JSON the tests rely on (everything else passes through). */
export const dashboardSchema = z.looseObject({
  uid: z.string().min(1),
  title: z.string().min(1),
  __inputs: z.array(z.looseObject({ name: z.string(), type: z.string(), pluginId: z.string() })),
  panels: z.array(panelSchema),
  templating: z.object({ list: z.array(variableSchema) }),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
export type DashboardPanel = z.infer<typeof panelSchema>;

/** One query of one panel. */
export interface PanelQuery {
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string;
}

/** The raw text of a shipped dashboard. */
export function readDashboardText(name: DashboardName): string {
  return readFileSync(path.join(REPO_ROOT, DASHBOARD_FILES[name]), 'utf8');
}

/** A shipped dashboard, parsed and checked against `dashboardSchema` (throws with zod's message if it does not fit). */
export function loadDashboard(name: DashboardName): Dashboard {
  return dashboardSchema.parse(JSON.parse(readDashboardText(name)));
}

/** Panels that query something (rows only group panels). */
export function queryPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.filter((panel) => panel.type !== 'row');
}

/** Every panel query of a dashboard, in panel order. */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return queryPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panelId: panel.id, panelTitle: panel.title, refId: target.refId, expr: target.expr })),
  );
}

/** The query of a template variable (`label_values(...)` and friends). */
export function variableQuery(variable: Dashboard['templating']['list'][number]): string {
  return typeof variable.query === 'string' ? variable.query : variable.query.query;
}

// Grafana's three variable syntaxes: $name, ${name} (optionally ${name:format}) and [[name]].
const VARIABLE_REFERENCE = /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g;

/** Names of the variables a text refers to, without duplicates. */
export function variablesUsed(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(VARIABLE_REFERENCE)) names.add((match[1] ?? match[2] ?? match[3])!);
  return [...names];
}

/**
 * Replaces every variable reference by its value, as Grafana does before sending a query.
 * A variable without a value is an error (a typo in a dashboard must not pass as a literal "$x").
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE_REFERENCE, (_whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = (braced ?? bracketed ?? bare)!;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for variable $${name} in: ${expr}`);
    return value;
  });
}

/**
 * The PromQL selector inside a variable's `label_values(selector, label)` query, so that it can be
 * parsed and run like a panel query. Undefined for `label_values(label)` (no selector).
 */
export function labelValuesSelector(query: string): string | undefined {
  const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
  return match?.[1];
}
