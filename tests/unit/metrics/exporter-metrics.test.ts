import { describe, expect, it } from 'vitest';
import {
  BREAKER_STATE_VALUES,
  encodeExporterMetrics,
  exporterMetricsFromHealth,
  type ExporterSelfMetrics,
} from '../../../utils/metrics/exporter-metrics';
import type { Health } from '../../../utils/messaging/health';
import { parseExposition, samplesOf } from './exposition-parser';

const BASE: ExporterSelfMetrics = {
  pushesOk: 12,
  pushesFailed: 3,
  deletesOk: 2,
  breakerState: 'open',
  outboxGroups: 4,
  outboxBytes: 8_192,
  pendingDeletes: 1,
  rejectedGroups: 1,
  connections: 5,
  reportsAccepted: 99,
  lastSuccessAt: 1_700_000_000_500,
  drops: { 'queue-full': 7, 'rate-limit': 2 },
  degraded: true,
  outboxMaxGroups: 500,
  pushIntervalSeconds: 10,
  calls: { started: { teams: 3, custom: 1 }, ended: { 'teams/poor': 1, 'teams/good': 1, 'bogus/poor': 1, 'teams/awful': 1 } },
};

function valueOf(text: string, name: string, labels: Record<string, string> = {}): string | undefined {
  return samplesOf(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels![k] === v),
  )?.value;
}

describe('encodeExporterMetrics', () => {
  it('exports the call counters by platform and final class, the outbox cap and the push interval', () => {
    const text = encodeExporterMetrics(BASE, {});
    expect(valueOf(text, 'webrtc_connections_started_total', { platform: 'teams' })).toBe('3');
    expect(valueOf(text, 'webrtc_connections_ended_total', { platform: 'teams', quality_class: 'poor' })).toBe('1');
    expect(valueOf(text, 'webrtc_connections_ended_total', { platform: 'teams', quality_class: 'good' })).toBe('1');
    // Keys outside the known shapes are never exported.
    expect(text).not.toContain('bogus');
    expect(text).not.toContain('awful');
    expect(text).toContain('# TYPE webrtc_connections_ended_total counter');
    expect(valueOf(text, 'webrtc_exporter_outbox_max_groups')).toBe('500');
    expect(valueOf(text, 'webrtc_exporter_push_interval_seconds')).toBe('10');
  });

  it('exports push, delete and report totals as counters', () => {
    const text = encodeExporterMetrics(BASE, { agent_id: 'a1' });
    expect(valueOf(text, 'webrtc_exporter_pushes_total')).toBe('12');
    expect(valueOf(text, 'webrtc_exporter_push_failures_total')).toBe('3');
    expect(valueOf(text, 'webrtc_exporter_deletes_total')).toBe('2');
    expect(valueOf(text, 'webrtc_exporter_reports_accepted_total')).toBe('99');
    expect(text).toContain('# TYPE webrtc_exporter_push_failures_total counter');
  });

  it('exports every drop reason in one dropped_total family', () => {
    const text = encodeExporterMetrics(BASE, {});
    expect(valueOf(text, 'webrtc_exporter_dropped_total', { reason: 'queue-full' })).toBe('7');
    expect(valueOf(text, 'webrtc_exporter_dropped_total', { reason: 'rate-limit' })).toBe('2');
    expect(parseExposition(text).filter((l) => l.kind === 'type' && l.name === 'webrtc_exporter_dropped_total')).toHaveLength(1);
  });

  it.each([
    ['closed', '0'],
    ['open', '1'],
    ['half-open', '2'],
    ['isolated', '1'],
  ] as const)('exports breaker state %s as %s', (state, value) => {
    expect(valueOf(encodeExporterMetrics({ ...BASE, breakerState: state }, {}), 'webrtc_exporter_breaker_state')).toBe(value);
    expect(BREAKER_STATE_VALUES[state]).toBe(Number(value));
  });

  it('exports queue depths and state as gauges, the last success in seconds', () => {
    const text = encodeExporterMetrics(BASE, {});
    expect(valueOf(text, 'webrtc_exporter_outbox_groups')).toBe('4');
    expect(valueOf(text, 'webrtc_exporter_outbox_bytes')).toBe('8192');
    expect(valueOf(text, 'webrtc_exporter_pending_deletes')).toBe('1');
    expect(valueOf(text, 'webrtc_exporter_connections')).toBe('5');
    expect(valueOf(text, 'webrtc_exporter_degraded')).toBe('1');
    expect(valueOf(text, 'webrtc_exporter_last_success_timestamp_seconds')).toBe('1700000000.5');
    expect(text).toContain('# TYPE webrtc_exporter_outbox_groups gauge');
  });

  it('leaves out the last success before any, and values that are not finite counts', () => {
    const text = encodeExporterMetrics({ ...BASE, lastSuccessAt: null, pushesOk: Number.NaN, pushesFailed: -1 }, {});
    expect(valueOf(text, 'webrtc_exporter_last_success_timestamp_seconds')).toBeUndefined();
    expect(valueOf(text, 'webrtc_exporter_pushes_total')).toBeUndefined();
    expect(valueOf(text, 'webrtc_exporter_push_failures_total')).toBeUndefined();
    expect(valueOf(text, 'webrtc_exporter_deletes_total')).toBe('2');
  });

  it('puts the common labels on every series, escaped, without overriding the reason label', () => {
    const text = encodeExporterMetrics(BASE, { agent_id: 'desk "9"', reason: 'forged' });
    for (const sample of samplesOf(text)) expect(sample.labels!.agent_id).toBe('desk "9"');
    expect(valueOf(text, 'webrtc_exporter_dropped_total', { reason: 'forged' })).toBeUndefined();
  });

  it('uses conventional names only', () => {
    for (const sample of samplesOf(encodeExporterMetrics(BASE, {}))) expect(sample.name).toMatch(/^webrtc_(exporter_[a-z0-9_]+|connections_(started|ended)_total)$/);
  });
});

describe('exporterMetricsFromHealth', () => {
  it('picks the exported figures out of Health', () => {
    const health: Health = {
      status: 'degraded',
      degradedReasons: ['storage'],
      startedAt: 1,
      connections: { total: 3, tabs: 1 },
      delivery: {
        configured: true, breaker: 'half-open', breakerSince: 5, outboxGroups: 2, outboxBytes: 100, pendingDeletes: 1,
        pushesOk: 8, pushesFailed: 4, deletesOk: 6, lastAttemptAt: 9, lastSuccessAt: 7_000, lastError: null, rejectedGroups: 2,
      },
      storage: { tier: 'memory', breaker: 'open', failures: 3, lastError: 'quota' },
      integrity: { lastRunAt: null, repaired: {}, invalidSettingsFields: [] },
      drops: { stale: 5 },
      reportsAccepted: 77,
    };
    const extra = { outboxMaxGroups: 500, pushIntervalSeconds: 10, calls: { started: {}, ended: {} } };
    expect(exporterMetricsFromHealth(health, extra)).toEqual({
      ...extra,
      pushesOk: 8, pushesFailed: 4, deletesOk: 6, breakerState: 'half-open', outboxGroups: 2, outboxBytes: 100,
      pendingDeletes: 1, rejectedGroups: 2, connections: 3, reportsAccepted: 77, lastSuccessAt: 7_000,
      drops: { stale: 5 }, degraded: true,
    });
  });
});
