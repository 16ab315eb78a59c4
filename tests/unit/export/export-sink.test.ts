import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createExportSink } from '../../../utils/export/export-sink';
import { rowsFromExposition } from '../../../utils/export/exposition-rows';
import { encodeQualityWindow } from '../../../utils/metrics/quality-encoder';
import { encodeExporterMetrics } from '../../../utils/metrics/exporter-metrics';
import { createQualityWindow } from '../../../utils/quality/quality-window';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import { defaultSettings, type Settings } from '../../../utils/settings/settings-schema';
import { loadFixture } from '../../fixtures/load-fixture';

/** A real quality body: two snapshots of the recorded Chromium call, one window. */
function qualityBody(): string {
  const pc = loadFixture('chromium-av-loopback').pcs.find((p) => p.role === 'caller')!;
  const window = createQualityWindow({ thresholds: () => defaultSettings().quality });
  const snapshots = [pc.stats, ...(pc.samples ?? [])];
  snapshots.forEach((stats, i) => window.add(stats, 1_000_000 + i * 2_000));
  return encodeQualityWindow(window.take(1_000_000 + snapshots.length * 2_000), 1_700_000_000_123).text;
}

describe('rowsFromExposition', () => {
  it('reads back every sample of a real quality body with its labels and value', () => {
    const body = qualityBody();
    const { rows, malformed } = rowsFromExposition(body, { call_id: 'c1' });
    const sampleLines = body.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(malformed).toBe(0);
    expect(rows).toHaveLength(sampleLines.length);
    expect(rows).toContainEqual({ name: 'webrtc_connection_start_timestamp_seconds', labels: { call_id: 'c1' }, value: 1_700_000_000.123 });
    expect(rows.find((row) => row.name === 'webrtc_bitrate_bytes_per_second')?.labels).toMatchObject({
      call_id: 'c1',
      kind: expect.stringMatching(/^(audio|video)$/),
      direction: expect.stringMatching(/^(inbound|outbound)$/),
    });
  });

  it.each([
    ['escaped quote, backslash and newline', 'm{a="x\\"y\\\\z\\nw"} 1', { a: 'x"y\\z\nw' }, 1],
    ['no labels', 'm 2.5', {}, 2.5],
    ['an exponent', 'm{a="b"} 1e+21', { a: 'b' }, 1e21],
  ])('parses %s', (_name, line, labels, value) => {
    expect(rowsFromExposition(`${line}\n`, {}).rows).toEqual([{ name: 'm', labels, value }]);
  });

  it.each([
    ['an unterminated label value', 'm{a="b} 1'],
    ['a value that is not a number', 'm{a="b"} abc'],
    ['NaN (the buffer is JSON, which has none)', 'm NaN'],
    ['+Inf', 'm +Inf'],
    ['a label without quotes', 'm{a=b} 1'],
  ])('counts %s as malformed and leaves it out', (_name, line) => {
    expect(rowsFromExposition(`ok 1\n${line}\n`, {})).toEqual({ rows: [{ name: 'ok', labels: {}, value: 1 }], malformed: 1 });
  });

  it('lets a label written on the sample win over a common label of the same name', () => {
    expect(rowsFromExposition('m{platform="meet"} 1\n', { platform: 'teams', job: 'j' }).rows[0]!.labels).toEqual({ platform: 'meet', job: 'j' });
  });
});

describe('export sink', () => {
  let settings: Settings;
  const outbox = { put: vi.fn(), remove: vi.fn() };
  const buffer = { append: vi.fn() };
  const drops = createDropCounter();
  const sink = createExportSink({ settings: () => settings, outbox, buffer, drops });

  beforeEach(() => {
    fakeBrowser.reset();
    settings = defaultSettings();
    settings.gateway.url = 'http://127.0.0.1:9091';
    outbox.put.mockClear();
    outbox.remove.mockClear();
    buffer.append.mockClear();
  });

  it('hands bodies to the Pushgateway outbox and deletes ended groups, by default', () => {
    sink.put('g1', { call_id: 'c1' }, 'm 1\n', 5_000);
    sink.remove('g1', { call_id: 'c1' });
    expect(sink.mode()).toBe('snapshots');
    expect(outbox.put).toHaveBeenCalledWith('g1', { call_id: 'c1' }, 'm 1\n');
    expect(outbox.remove).toHaveBeenCalledWith('g1', { call_id: 'c1' });
    expect(buffer.append).not.toHaveBeenCalled();
  });

  it('with remote-write, appends samples at their time with the grouping key, job and static labels, and deletes nothing', () => {
    settings.sink = 'remote-write';
    settings.remoteWrite.url = 'http://127.0.0.1:9090/api/v1/write';
    settings.remoteWrite.staticLabels = { site: 'paris' };
    const body = encodeExporterMetrics(
      {
        pushesOk: 3, pushesFailed: 0, deletesOk: 0, reportsAccepted: 9, drops: {}, breakerState: 'closed', outboxGroups: 0,
        outboxBytes: 0, outboxMaxGroups: 500, pushIntervalSeconds: 10, calls: { started: {}, ended: {} }, pendingDeletes: 0,
        rejectedGroups: 0, connections: 1, lastSuccessAt: null, degraded: false,
      },
      {},
    );

    sink.put('exporter-self', { exporter_instance: 'abc12345' }, body, 7_000);
    sink.remove('g1', { call_id: 'c1' });

    expect(sink.mode()).toBe('samples');
    expect(sink.configured()).toBe(true);
    expect(outbox.put).not.toHaveBeenCalled();
    expect(outbox.remove).not.toHaveBeenCalled();
    const [at, rows] = buffer.append.mock.calls[0]!;
    expect(at).toBe(7_000);
    expect(rows).toContainEqual({
      name: 'webrtc_exporter_pushes_total',
      labels: { site: 'paris', exporter_instance: 'abc12345', job: 'webrtc-internals-exporter' },
      value: 3,
    });
  });

  it('is not configured for remote-write without a receiver URL, whatever the gateway, and buffers nothing then', () => {
    settings.sink = 'remote-write';
    sink.put('g1', { call_id: 'c1' }, 'm 1\n', 5_000);
    expect(sink.configured()).toBe(false);
    expect(buffer.append).not.toHaveBeenCalled();
    expect(outbox.put).not.toHaveBeenCalled();
  });
});
