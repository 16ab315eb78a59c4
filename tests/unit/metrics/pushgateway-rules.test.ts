import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeSnapshot } from '../../../utils/metrics/encode-snapshot';
import { encodeExporterMetrics } from '../../../utils/metrics/exporter-metrics';
import type { RtcStat } from '../../../utils/webrtc/report-schema';
import { FIXTURE_NAMES, loadFixture } from '../../fixtures/load-fixture';
import { parseExposition } from './exposition-parser';

function everyReport(): RtcStat[][] {
  return FIXTURE_NAMES.flatMap((fixture) => loadFixture(fixture).pcs.flatMap((pc) => [pc.stats, ...(pc.samples ?? [])]));
}

describe('what the Pushgateway requires across groups', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('gives each metric name one TYPE and one HELP across every fixture, both modes and the self metrics', () => {
    const types = new Map<string, Set<string>>();
    const helps = new Map<string, Set<string>>();
    const note = (text: string) => {
      for (const line of parseExposition(text)) {
        const map = line.kind === 'type' ? types : line.kind === 'help' ? helps : undefined;
        if (!map) continue;
        if (!map.has(line.name)) map.set(line.name, new Set());
        map.get(line.name)!.add(line.text!);
      }
    };
    for (const stats of everyReport()) {
      note(encodeSnapshot(stats, { naming: 'conventional', labels: { agent_id: 'a' }, maxSeries: 5_000 }).text);
      note(encodeSnapshot(stats, { naming: 'legacy', labels: { pageUrl: 'p' }, maxSeries: 5_000 }).text);
    }
    note(
      encodeExporterMetrics(
        {
          pushesOk: 1, pushesFailed: 0, deletesOk: 0, breakerState: 'closed', outboxGroups: 0, outboxBytes: 0, pendingDeletes: 0,
          rejectedGroups: 0, connections: 1, reportsAccepted: 1, lastSuccessAt: 1, drops: { x: 1 }, degraded: false, outboxMaxGroups: 500, pushIntervalSeconds: 10,
        calls: { started: { teams: 2 }, ended: { 'teams/fair': 1 } },
        },
        {},
      ),
    );
    expect(types.size).toBeGreaterThan(200);
    const clashes = [...types, ...helps].filter(([, set]) => set.size > 1).map(([name, set]) => `${name}: ${[...set].join(' | ')}`);
    expect(clashes).toEqual([]);
  });

  it('keeps the same type for a name when a value turns from number to boolean or string between reports', () => {
    const first = encodeSnapshot(
      [{ id: 'a', type: 'inbound-rtp', timestamp: 1, kind: 'audio', ssrc: 1, packetsLost: 3, framesPerSecond: 30 }] as RtcStat[],
      { naming: 'conventional', labels: {}, maxSeries: 100 },
    ).text;
    const second = encodeSnapshot(
      [{ id: 'a', type: 'inbound-rtp', timestamp: 2, kind: 'audio', ssrc: 1, packetsLost: false, framesPerSecond: 'high' }] as unknown as RtcStat[],
      { naming: 'conventional', labels: {}, maxSeries: 100 },
    ).text;
    expect(first).toContain('# TYPE webrtc_inbound_rtp_packets_lost gauge');
    expect(second).toBe('');
  });

  it('encodes every fixture without touching the network', () => {
    const fetchSpy = vi.fn(() => Promise.reject(new Error('no network in unit tests')));
    vi.stubGlobal('fetch', fetchSpy);
    const xhr = vi.fn();
    vi.stubGlobal('XMLHttpRequest', xhr);
    for (const stats of everyReport()) {
      encodeSnapshot(stats, { naming: 'conventional', labels: {}, maxSeries: 5_000 });
      encodeSnapshot(stats, { naming: 'legacy', labels: {}, maxSeries: 5_000 });
    }
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(xhr).not.toHaveBeenCalled();
  });
});
