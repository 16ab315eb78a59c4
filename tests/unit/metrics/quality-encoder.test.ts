import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { connectionGroupingKey, encodeConnection } from '../../../utils/metrics/export-profiles';
import { QUALITY_METRIC_NAMES, encodeQualityWindow } from '../../../utils/metrics/quality-encoder';
import type { ConnectionWindow, StreamWindow } from '../../../utils/quality/quality-types';
import type { RtcStat } from '../../../utils/webrtc/report-schema';
import { parseExposition, samplesOf } from './exposition-parser';
import { REPLAY_START, recordedCallWindows } from './quality-window-fixture';

const STARTED = 1_764_599_990_123;

function stream(fields: Partial<StreamWindow> & Pick<StreamWindow, 'kind' | 'direction'>): StreamWindow {
  return {
    bitrateBps: null, packetRate: null, lossRatio: null, jitterSeconds: null, mos: null, concealmentRatio: null,
    framesPerSecond: null, frameHeight: null, frozenRatio: null, freezesTotal: null, qualityLimitation: null,
    ...fields,
  };
}

const POOR: ConnectionWindow = {
  from: 0,
  to: 10_000,
  rttSeconds: 0.412345678,
  streams: [
    stream({ kind: 'audio', direction: 'inbound', bitrateBps: 32_000.5, lossRatio: 0.0625, mos: 3.1, concealmentRatio: 0.1 }),
    stream({ kind: 'video', direction: 'outbound', framesPerSecond: 30, qualityLimitation: 'cpu' }),
  ],
  qualityClass: 'poor',
  reasons: ['high_loss', 'high_rtt', 'cpu_limited'],
};

describe('encodeQualityWindow', () => {
  it('writes the 2-PC recorded audio+video call in at most 60 series, each family once with HELP and TYPE', () => {
    const calls = recordedCallWindows();
    let total = 0;
    for (const { window } of calls) {
      const { text, series } = encodeQualityWindow(window, STARTED);
      expect(samplesOf(text)).toHaveLength(series);
      const lines = parseExposition(text);
      const helps = lines.filter((line) => line.kind === 'help').map((line) => line.name);
      expect(lines.filter((line) => line.kind === 'type').map((line) => line.name)).toEqual(helps);
      expect(new Set(helps).size).toBe(helps.length);
      total += series;
    }
    expect(total).toBeGreaterThanOrEqual(40);
    expect(total).toBeLessThanOrEqual(60);
  });

  it('writes per-stream values with kind and direction only, and the connection values without labels', () => {
    const text = encodeQualityWindow(POOR, STARTED).text;
    expect(text).toContain('webrtc_packet_loss_ratio{kind="audio",direction="inbound"} 0.0625\n');
    expect(text).toContain('webrtc_bitrate_bytes_per_second{kind="audio",direction="inbound"} 4000.06\n');
    expect(text).toContain('webrtc_video_quality_limitation_info{kind="video",direction="outbound",reason="cpu"} 1\n');
    expect(text).toContain('webrtc_round_trip_time_seconds 0.412346\n');
    expect(text).toContain('webrtc_quality_class{class="poor"} 1\n');
    expect(text).toContain('webrtc_quality_reason{reason="high_loss"} 1\nwebrtc_quality_reason{reason="high_rtt"} 1\n');
    expect(text).toContain('webrtc_connection_start_timestamp_seconds 1764599990.123\n');
    // Values that were not measured are left out, not written as 0.
    expect(text).not.toContain('webrtc_jitter_seconds');
    const labelNames = new Set(samplesOf(text).flatMap((sample) => Object.keys(sample.labels ?? {})));
    expect([...labelNames].sort()).toEqual(['class', 'direction', 'kind', 'reason']);
  });

  it('gives a new connection with one snapshot its start time at once', () => {
    expect(encodeQualityWindow(null, STARTED)).toEqual({
      text: '# HELP webrtc_connection_start_timestamp_seconds When the connection was first seen, Unix seconds.\n# TYPE webrtc_connection_start_timestamp_seconds gauge\nwebrtc_connection_start_timestamp_seconds 1764599990.123\n',
      series: 1,
    });
  });

  it('encodes the same window to the same bytes (so an unchanged push can be skipped)', () => {
    const again = structuredClone(POOR);
    again.rttSeconds = 0.4123459; // below the six significant digits written
    expect(encodeQualityWindow(again, STARTED).text).toBe(encodeQualityWindow(POOR, STARTED).text);
  });

  it('names only the families of docs/metrics.md', () => {
    const names = new Set(recordedCallWindows().flatMap(({ window }) => samplesOf(encodeQualityWindow(window, STARTED).text).map((s) => s.name)));
    for (const name of names) expect(QUALITY_METRIC_NAMES).toContain(name);
  });
});

describe('encodeConnection', () => {
  const [caller] = recordedCallWindows();
  const labels = { agent_id: 'agent-7', platform: 'teams', origin: 'https://teams.microsoft.com' };

  it('adds the catalogued raw fields with ssrc in the full profile, and ssrc nowhere else', () => {
    const input = { window: caller!.window, stats: caller!.stats, startedAt: REPLAY_START };
    const quality = encodeConnection('quality', input, { labels, maxSeries: 5_000 });
    const full = encodeConnection('full', input, { labels, maxSeries: 5_000 });
    expect(full.text.startsWith(quality.text)).toBe(true);
    expect(full.series).toBeGreaterThan(quality.series * 3);
    expect(full.text).toMatch(/webrtc_inbound_rtp_bytes_received_total\{kind="(audio|video)",ssrc="\d+"\}/);
    expect(quality.text).not.toContain('ssrc');
    // Common labels travel in the grouping key, never on samples.
    expect(full.text).not.toContain('agent_id');
    expect(full.text).not.toContain('origin');
  });

  it('exports no metric from a field the catalogue does not know, in the full profile', () => {
    const forged = [
      { id: 'IT1', type: 'inbound-rtp', timestamp: 1, kind: 'audio', ssrc: 5, bytesReceived: 10, inventedCounter: 7, evilFlag: true },
    ] as RtcStat[];
    const { text } = encodeConnection('full', { window: null, stats: forged, startedAt: REPLAY_START }, { labels, maxSeries: 5_000 });
    expect(text).toContain('webrtc_inbound_rtp_bytes_received_total');
    expect(text).not.toMatch(/invented|evil/);
  });

  it('keeps the legacy profile’s names and its labels on the samples', () => {
    const { text } = encodeConnection('legacy', { window: caller!.window, stats: caller!.stats, startedAt: REPLAY_START }, {
      labels: { pageUrl: 'https://teams.microsoft.com' },
      maxSeries: 5_000,
    });
    expect(text).toMatch(/^inbound_rtp_bytesReceived\{.*pageUrl="https:\/\/teams.microsoft.com"/m);
    expect(text).not.toContain('webrtc_quality_class');
  });

  it.each([
    ['quality', { agent_id: 'agent-7', platform: 'teams', origin: 'https://teams.microsoft.com', call_id: 'c1', peer_connection_id: 'g1' }],
    ['full', { agent_id: 'agent-7', platform: 'teams', origin: 'https://teams.microsoft.com', call_id: 'c1', peer_connection_id: 'g1' }],
    ['legacy', { peerConnectionId: 'g1' }],
  ] as const)('puts the group’s common labels in the %s grouping key', (profile, expected) => {
    expect(connectionGroupingKey(profile, { groupId: 'g1', callId: 'c1', labels })).toEqual(expected);
  });
});

describe('promtool check metrics on the quality profile', () => {
  function promtool(text: string): { output: string; status: number | null } {
    const run = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    if (run.error) throw run.error;
    // Clean means status 0 and nothing said: a lint remark is status 3, a parse error status 1.
    return { output: `${run.stdout}${run.stderr}`, status: run.status };
  }

  it.each(['quality', 'full'] as const)('accepts the %s body of each side of the recorded call without a remark', (profile) => {
    for (const { window, stats } of recordedCallWindows()) {
      const { text } = encodeConnection(profile, { window, stats, startedAt: REPLAY_START }, { labels: {}, maxSeries: 5_000 });
      expect(promtool(text)).toEqual({ output: '', status: 0 });
    }
  });

  it('accepts a poor window with reasons', () => {
    expect(promtool(encodeQualityWindow(POOR, STARTED).text)).toEqual({ output: '', status: 0 });
  });
});
