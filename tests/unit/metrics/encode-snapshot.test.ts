import { describe, expect, it } from 'vitest';
import { encodeSnapshot, type EncodeOptions } from '../../../utils/metrics/encode-snapshot';
import type { RtcStat } from '../../../utils/webrtc/report-schema';
import { FIXTURE_NAMES, fixtureStats, loadFixture } from '../../fixtures/load-fixture';
import { parseExposition, samplesOf } from './exposition-parser';

const LABELS = { agent_id: 'agent-7', platform: 'teams', origin: 'https://teams.microsoft.com' };
const conventional: EncodeOptions = { naming: 'conventional', labels: LABELS, maxSeries: 5_000 };
const legacy: EncodeOptions = { naming: 'legacy', labels: { pageUrl: 'https://teams.microsoft.com' }, maxSeries: 5_000 };
const MODES = [
  ['conventional', conventional],
  ['legacy', legacy],
] as const;
const CASES = FIXTURE_NAMES.flatMap((fixture) =>
  (['caller', 'callee'] as const).flatMap((role) => MODES.map(([mode, options]) => [fixture, role, mode, options] as const)),
);

function stat(fields: Record<string, unknown>): RtcStat {
  return { id: 'x', timestamp: 1, ...fields } as RtcStat;
}

describe('encodeSnapshot', () => {
  it.each(CASES)('keeps every family of %s (%s, %s) contiguous with one HELP and one TYPE', (fixture, role, _mode, options) => {
    const lines = parseExposition(encodeSnapshot(fixtureStats(fixture, role), options).text);
    const finished = new Set<string>();
    let current = '';
    for (const line of lines) {
      if (line.name !== current) {
        expect(finished.has(line.name), `${line.name} appears in two places`).toBe(false);
        if (current) finished.add(current);
        current = line.name;
        expect(line.kind, `${line.name} starts without HELP`).toBe('help');
      }
    }
    const helps = lines.filter((l) => l.kind === 'help').map((l) => l.name);
    const types = lines.filter((l) => l.kind === 'type').map((l) => l.name);
    expect(new Set(helps).size).toBe(helps.length);
    expect(types).toEqual(helps);
  });

  it.each(CASES)('writes no series twice for %s (%s, %s)', (fixture, role, _mode, options) => {
    const samples = samplesOf(encodeSnapshot(fixtureStats(fixture, role), options).text);
    const keys = samples.map((s) => JSON.stringify([s.name, Object.entries(s.labels!).sort()]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(samples.length).toBeGreaterThan(10);
  });

  it.each(FIXTURE_NAMES)('reports as many series as it writes for %s', (fixture) => {
    const result = encodeSnapshot(fixtureStats(fixture), conventional);
    expect(result.series).toBe(samplesOf(result.text).length);
    expect(result.droppedSeries).toBe(0);
  });

  it('writes the same text whatever order the stats objects come in', () => {
    const stats = fixtureStats('chromium-av-loopback');
    const reversed = [...stats].reverse();
    const shuffled = [...stats].sort((a, b) => (a.timestamp + a.id.length * 7) % 5 - (b.timestamp + b.id.length * 7) % 5);
    const expected = encodeSnapshot(stats, conventional).text;
    expect(encodeSnapshot(reversed, conventional).text).toBe(expected);
    expect(encodeSnapshot(shuffled, conventional).text).toBe(expected);
  });

  it('sorts families by name', () => {
    const names = parseExposition(encodeSnapshot(fixtureStats('firefox-av-loopback'), conventional).text)
      .filter((l) => l.kind === 'type')
      .map((l) => l.name);
    expect(names).toEqual([...names].sort());
  });

  it('exports the call-quality essentials of a real Chromium call', () => {
    const text = encodeSnapshot(fixtureStats('chromium-av-loopback', 'callee'), conventional).text;
    expect(text).toContain('# TYPE webrtc_inbound_rtp_packets_received_total counter');
    expect(text).toContain('# TYPE webrtc_inbound_rtp_jitter_seconds gauge');
    expect(text).toContain('# TYPE webrtc_remote_inbound_rtp_round_trip_time_seconds gauge');
    expect(text).toContain('# TYPE webrtc_outbound_rtp_quality_limitation_reason gauge');
    expect(text).toMatch(/^webrtc_inbound_rtp_bytes_received_total\{agent_id="agent-7",origin="https:\/\/teams\.microsoft\.com",platform="teams",kind="audio",ssrc="\d+"\} \d+$/m);
    expect(text).toMatch(/^webrtc_inbound_rtp_frames_decoded_total\{.*kind="video".*\} [1-9]\d*$/m);
    expect(text).toMatch(/^webrtc_outbound_rtp_quality_limitation_duration_seconds_total\{.*reason="cpu"\} /m);
  });

  it('reproduces the legacy names and labels older dashboards query', () => {
    const text = encodeSnapshot(fixtureStats('chromium-av-loopback', 'caller'), legacy).text;
    for (const name of [
      'inbound_rtp_bytesReceived',
      'outbound_rtp_bytesSent',
      'outbound_rtp_framesPerSecond',
      'outbound_rtp_frameWidth',
      'outbound_rtp_qualityLimitationDurations_bandwidth',
      'remote_inbound_rtp_roundTripTime',
      'remote_inbound_rtp_fractionLost',
      'remote_inbound_rtp_jitter',
      'peer_connection_timestamp',
    ]) {
      expect(text).toContain(`# TYPE ${name} gauge\n`);
    }
    expect(text).toMatch(/^outbound_rtp_bytesSent\{pageUrl="https:\/\/teams\.microsoft\.com",kind="video",ssrc="\d+"\} \d+$/m);
    expect(text).not.toMatch(/ counter$/m);
  });

  it('exports the timestamp of every exported stats object in legacy mode', () => {
    const stats = fixtureStats('chromium-av-loopback', 'caller');
    const text = encodeSnapshot(stats, legacy).text;
    for (const type of ['inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'transport', 'peer-connection', 'codec']) {
      expect(text).toContain(`# TYPE ${type.replace(/-/g, '_')}_timestamp gauge`);
    }
  });

  it('omits the poll timestamp in conventional mode', () => {
    expect(encodeSnapshot(fixtureStats('chromium-av-loopback'), conventional).text).not.toMatch(/_timestamp[{ ]/);
  });

  it('shows the two Chromium samples as growing counters, so rates can be computed', () => {
    const fixture = loadFixture('chromium-av-loopback');
    const callee = fixture.pcs.find((pc) => pc.role === 'callee')!;
    expect(callee.samples).toHaveLength(2);
    const value = (stats: RtcStat[]) =>
      Number(samplesOf(encodeSnapshot(stats, conventional).text).find((s) => s.name === 'webrtc_inbound_rtp_bytes_received_total' && s.labels!.kind === 'video')!.value);
    expect(value(callee.samples![1]!)).toBeGreaterThan(value(callee.samples![0]!));
  });

  it('keeps at most maxSeries series, counts the rest, and spends the budget on inbound streams first', () => {
    const stats = fixtureStats('chromium-av-loopback');
    const full = encodeSnapshot(stats, conventional);
    const capped = encodeSnapshot(stats, { ...conventional, maxSeries: 25 });
    const samples = samplesOf(capped.text);
    expect(samples).toHaveLength(25);
    expect(capped.series).toBe(25);
    expect(capped.droppedSeries).toBe(full.series - 25);
    expect(samples.every((s) => s.name.startsWith('webrtc_inbound_rtp_'))).toBe(true);
  });

  it('writes nothing, and drops everything, with maxSeries 0', () => {
    const result = encodeSnapshot(fixtureStats('firefox-datachannel'), { ...conventional, maxSeries: 0 });
    expect(result.text).toBe('');
    expect(result.series).toBe(0);
    expect(result.droppedSeries).toBeGreaterThan(0);
  });

  it('tells apart objects that would otherwise get the same labels with an index label', () => {
    const a = stat({ id: 'DC1', type: 'data-channel', messagesSent: 1 });
    const b = stat({ id: 'DC2', type: 'data-channel', messagesSent: 2 });
    const samples = samplesOf(encodeSnapshot([a, b], { ...conventional, labels: {} }).text);
    expect(samples.map((s) => [s.labels, s.value])).toEqual([
      [{}, '1'],
      [{ index: '1' }, '2'],
    ]);
  });

  it('escapes quotes, backslashes, newlines and keeps unicode in common label values', () => {
    const text = encodeSnapshot([stat({ type: 'peer-connection', dataChannelsOpened: 1 })], {
      ...conventional,
      labels: { agent_id: 'say "hi"\\n\nnext ✓ 日本' },
    }).text;
    expect(text).toContain('agent_id="say \\"hi\\"\\\\n\\nnext ✓ 日本"');
    expect(samplesOf(text)[0]!.labels!.agent_id).toBe('say "hi"\\n\nnext ✓ 日本');
  });

  it('sanitises common label names, leaves out empty values and yields to its own labels', () => {
    const text = encodeSnapshot(
      [stat({ type: 'inbound-rtp', kind: 'audio', ssrc: 1, packetsReceived: 5 })],
      { ...conventional, labels: { 'page-url': 'https://x.example/a', empty: '', kind: 'forged', state: 'forged' } },
    ).text;
    expect(samplesOf(text)[0]!.labels).toEqual({ page_url: 'https://x.example/a', kind: 'audio', ssrc: '1' });
  });

  it('skips malformed objects and stats types outside the spec instead of throwing', () => {
    const junk = [
      null,
      42,
      'inbound-rtp',
      {},
      { type: 'inbound-rtp' },
      { id: 7, type: 'inbound-rtp' },
      stat({ type: 'track', framesDecoded: 5 }),
      stat({ type: 'made-up', x: 1 }),
    ] as unknown as RtcStat[];
    expect(() => encodeSnapshot(junk, conventional)).not.toThrow();
    expect(encodeSnapshot(junk, conventional)).toEqual({ text: '', series: 0, droppedSeries: 0, screenedLabels: 0 });
    expect(encodeSnapshot(junk, legacy).text).toBe('');
  });

  it('exports no metric from a field the catalogue does not know, so a page cannot mint names', () => {
    const text = encodeSnapshot([stat({ type: 'inbound-rtp', kind: 'video', ssrc: 9, framesDecoded: 4, brandNewMetric: 3.5, nominatedish: true })], conventional).text;
    expect(text).toContain('webrtc_inbound_rtp_frames_decoded_total');
    expect(text).not.toMatch(/brand_new|nominatedish/);
  });

  it('never lets a value change the type a name has', () => {
    const stats = [
      stat({ id: 'a', type: 'inbound-rtp', kind: 'audio', ssrc: 1, packetsLost: true, packetsReceived: 'many', fooTotal: 3, barCount: 2 }),
      stat({ id: 'b', type: 'inbound-rtp', kind: 'video', ssrc: 2, packetsLost: -2 }),
    ];
    const lines = parseExposition(encodeSnapshot(stats, conventional).text);
    expect(lines.filter((l) => l.kind === 'type').map((l) => `${l.name} ${l.text}`)).toEqual([
      'webrtc_inbound_rtp_packets_lost gauge',
    ]);
    expect(samplesOf(encodeSnapshot(stats, conventional).text).map((s) => s.value)).toEqual(['-2']);
  });

  it('writes every known state of an enum, 1 for the current one, and any value it does not know as other', () => {
    const known = samplesOf(encodeSnapshot([stat({ type: 'data-channel', state: 'open' })], { ...conventional, labels: {} }).text);
    expect(known.map((s) => `${s.labels!.state}=${s.value}`)).toEqual(['connecting=0', 'open=1', 'closing=0', 'closed=0']);
    const newer = samplesOf(encodeSnapshot([stat({ type: 'data-channel', state: 'paused' })], { ...conventional, labels: {} }).text);
    expect(newer.filter((s) => s.value === '1').map((s) => s.labels!.state)).toEqual(['other']);
    const hostile = samplesOf(encodeSnapshot([stat({ type: 'data-channel', state: 'x"}\n y' })], { ...conventional, labels: {} }).text);
    expect(hostile.filter((s) => s.value === '1').map((s) => s.labels!.state)).toEqual(['other']);
  });

  it('exports only the selected candidate pair, labelled by candidate types, and counts all pairs by state', () => {
    const stats = fixtureStats('chromium-av-loopback');
    const pairs = stats.filter((s) => s.type === 'candidate-pair');
    expect(pairs.length).toBeGreaterThan(1);
    const samples = samplesOf(encodeSnapshot(stats, conventional).text);
    const pairSeries = samples.filter((s) => s.name === 'webrtc_candidate_pair_bytes_sent_total');
    expect(pairSeries).toHaveLength(1);
    expect(pairSeries[0]!.labels).toMatchObject({ local_candidate_type: 'host', remote_candidate_type: 'host', protocol: 'udp' });
    const counts = samples.filter((s) => s.name === 'webrtc_candidate_pairs');
    expect(counts.reduce((sum, s) => sum + Number(s.value), 0)).toBe(pairs.length);
  });

  it('links a media source to the ssrc of the stream it feeds', () => {
    const stats = fixtureStats('chromium-av-loopback');
    const source = stats.find((s) => s.type === 'media-source' && s.kind === 'video')!;
    const outbound = stats.find((s) => s.type === 'outbound-rtp' && s.mediaSourceId === source.id)!;
    const series = samplesOf(encodeSnapshot(stats, conventional).text).find((s) => s.name === 'webrtc_media_source_frames_total')!;
    expect(series.labels).toMatchObject({ kind: 'video', ssrc: String(outbound.ssrc) });
  });
});
