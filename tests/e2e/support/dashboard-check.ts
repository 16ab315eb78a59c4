import { expect } from 'vitest';
import { waitFor } from './free-port';
import { substituteVariables, type DashboardPanel } from './grafana-dashboard';
import type { PromAlert, PromSample, Prometheus } from './prometheus';

/** The call-quality alerts of prometheus/alert-rules.yml. */
export const CALL_ALERTS = [
  'WebRTCCallLowMOS',
  'WebRTCCallPacketLoss',
  'WebRTCCallPacketLossCritical',
  'WebRTCCallHighRTT',
  'WebRTCCallHighJitter',
  'WebRTCCallVideoFreezes',
  'WebRTCCallAudioConcealment',
] as const;

/** What each call alert measures, per call: how the report gives a value for a call that did not alert. */
export const ALERT_MEASURES: Readonly<Record<(typeof CALL_ALERTS)[number], string>> = {
  WebRTCCallLowMOS: 'min by (call_id) (webrtc_mos)',
  WebRTCCallPacketLoss: 'max by (call_id) (webrtc_packet_loss_ratio)',
  WebRTCCallPacketLossCritical: 'max by (call_id) (webrtc_packet_loss_ratio)',
  WebRTCCallHighRTT: 'max by (call_id) (webrtc_round_trip_time_seconds)',
  WebRTCCallHighJitter: 'max by (call_id) (webrtc_jitter_seconds)',
  WebRTCCallVideoFreezes: 'max by (call_id) (webrtc_video_frozen_ratio)',
  WebRTCCallAudioConcealment: 'max by (call_id) (webrtc_audio_concealment_ratio)',
};

/**
 * Grafana's built-in variables as it would fill them for a 5-minute range on a Prometheus that
 * scrapes every `scrapeSeconds` ($__rate_interval is at least 4 scrapes).
 */
export function grafanaBuiltins(scrapeSeconds: number): Record<string, string> {
  return {
    __rate_interval: `${Math.max(4 * scrapeSeconds, 10)}s`,
    __interval: `${scrapeSeconds}s`,
    __interval_ms: String(scrapeSeconds * 1000),
    __range: '5m',
    __range_s: '300',
    __range_ms: '300000',
  };
}

/** Runs every query of a panel with the variables filled in; one result list per target. */
export async function queryPanel(prometheus: Prometheus, panel: DashboardPanel, values: Record<string, string>): Promise<PromSample[][]> {
  return Promise.all((panel.targets ?? []).map((target) => prometheus.query(substituteVariables(target.expr, values))));
}

/**
 * Checks a panel's answer for one call: with `every`, each query answers; else at least one does.
 * Rows that carry call_id or agent_id must be the selected call's (the variables filter).
 */
export function expectPanelData(panel: DashboardPanel, results: PromSample[][], call: { callId: string; agentId: string }, every: boolean): void {
  if (every) for (const [i, rows] of results.entries()) expect(rows.length, `${panel.title}, target ${panel.targets?.[i]?.refId}`).toBeGreaterThan(0);
  else expect(results.some((rows) => rows.length > 0), panel.title).toBe(true);
  for (const row of results.flat()) {
    if (row.labels.call_id !== undefined) expect(row.labels.call_id).toBe(call.callId);
    if (row.labels.agent_id !== undefined) expect(row.labels.agent_id).toBe(call.agentId);
  }
}

/** Waits until every alert in `names` is firing for `callId`; returns the firing alerts of that call. */
export async function waitForCallAlerts(prometheus: Prometheus, callId: string, names: readonly string[], timeoutMs: number): Promise<PromAlert[]> {
  return waitFor(
    async () => {
      const firing = (await prometheus.alerts()).filter((alert) => alert.state === 'firing' && alert.labels.call_id === callId);
      const seen = new Set(firing.map((alert) => alert.labels.alertname));
      return names.every((name) => seen.has(name)) ? firing : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `${names.join(', ')} firing for call ${callId}` },
  );
}

/**
 * One line per call alert: for each call, the value its measure has now (what the alert compares)
 * and whether the alert is firing for that call.
 */
export async function describeAlertValues(prometheus: Prometheus, callIds: Record<string, string>): Promise<string[]> {
  const alerts = await prometheus.alerts();
  const lines: string[] = [];
  for (const name of CALL_ALERTS) {
    const measured = await prometheus.query(ALERT_MEASURES[name]);
    const parts = Object.entries(callIds).map(([label, callId]) => {
      const value = measured.find((row) => row.labels.call_id === callId)?.value;
      const state = alerts.find((alert) => alert.labels.alertname === name && alert.labels.call_id === callId)?.state ?? 'silent';
      return `${label} call ${value} (${state})`;
    });
    lines.push(`${name}: ${parts.join(', ')}`);
  }
  return lines;
}
