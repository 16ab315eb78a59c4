import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createExportSink } from '../../../utils/export/export-sink';
import { createReportProcessor, REPORT_AFTER_END, type InboundReport } from '@/utils/background/report-processor';
import { createEndedConnections } from '@/utils/background/ended-connections';
import { MAX_REPORTS_PER_BATCH, parseInboundBatch } from '@/utils/background/inbound-reports';
import { MAX_REPORTS_PER_BATCH as RELAY_MAX_REPORTS_PER_BATCH } from '@/utils/webrtc/report-batch-validator';
import { createConnectionTracker } from '@/utils/integrity/connection-tracker';
import { createQualityHistory } from '@/utils/quality/quality-history';
import { createRateLimiter } from '@/utils/resilience/rate-limiter';
import { createDropCounter } from '@/utils/resilience/drop-counter';
import { defaultSettings } from '@/utils/settings/settings-schema';
import type { Outbox } from '@/utils/export/outbox';
import { createExportState } from '@/utils/export/export-state';
import { MAX_STREAMS_PER_CONNECTION, createQualityWindow } from '@/utils/quality/quality-window';
import { createMemoryArea } from '../integrity/memory-area';
import type { RtcStat } from '@/utils/webrtc/report-schema';
import { loadFixture } from '../../fixtures/load-fixture';
import { MAX_SSRC_LABELS_PER_CONNECTION } from '@/utils/metrics/ssrc-admission';

function report(tabId: number, pcId: string): InboundReport {
  return {
    source: { tabId, frameId: 0, url: 'https://call.example/' },
    platform: 'custom',
    origin: 'https://call.example',
    report: {
      event: 'stats',
      pcId,
      seq: 1,
      state: 'connected',
      stats: [{ id: 'IT01', type: 'inbound-rtp', timestamp: 1, kind: 'audio', ssrc: 1, bytesReceived: 10 }],
    },
  } as InboundReport;
}

/** A report processor over a real tracker, export state and quality engine; the outbox is a spy. */
function createProcessorUnderTest(options: {
  now: () => number;
  drops: ReturnType<typeof createDropCounter>;
  outbox: { put: ReturnType<typeof vi.fn>; remove: ReturnType<typeof vi.fn> };
  admit?: (tabId: number) => boolean;
  /** Receives the time of every snapshot added to a quality window. */
  windowAdds?: number[];
}) {
  const { now, drops } = options;
  const settings = defaultSettings();
  const tracker = createConnectionTracker({ area: createMemoryArea().area, limits: () => settings.reliability, drops, now });
  const exportState = createExportState({ area: createMemoryArea().area, drops, now });
  const processor = createReportProcessor({
    tracker,
    sink: createExportSink({
      settings: () => settings,
      outbox: options.outbox as unknown as Outbox,
      buffer: { append: vi.fn() },
      drops,
    }),
    exportState,
    createWindow: () => {
      const window = createQualityWindow({ thresholds: () => settings.quality });
      const add = window.add;
      window.add = (stats, at) => {
        options.windowAdds?.push(at);
        add(stats, at);
      };
      return window;
    },
    history: createQualityHistory({ maxPointsPerGroup: 10, maxGroups: 100 }),
    drops,
    settings: () => settings,
    now,
    onOutboxChanged: () => {},
    admitNewConnection: options.admit,
    ended: createEndedConnections({ drops }),
  });
  return { tracker, processor, settings, exportState };
}

describe('report processor admission of new connections', () => {
  let now: number;
  let drops: ReturnType<typeof createDropCounter>;
  let outbox: { put: ReturnType<typeof vi.fn>; remove: ReturnType<typeof vi.fn> };

  function setup(admit?: (tabId: number) => boolean) {
    return createProcessorUnderTest({ now: () => now, drops, outbox, admit });
  }

  beforeEach(() => {
    now = 1_000_000;
    drops = createDropCounter();
    outbox = { put: vi.fn(), remove: vi.fn() };
  });

  it('drops a report of an unknown connection when the tab may not open another, but keeps known ones reporting', () => {
    let allow = true;
    const { tracker, processor } = setup(() => allow);
    processor.process(report(1, 'known'));
    allow = false;

    processor.process(report(1, 'invented'));
    processor.process(report(1, 'known'));

    expect(tracker.list().map((entry) => entry.pcId)).toEqual(['known']);
    // Its first snapshot went at once; the second waits for the push interval.
    expect(outbox.put).toHaveBeenCalledTimes(1);
    expect(processor.accepted()).toBe(2);
  });

  it('with the background’s limiter, a page inventing connected ids fills at most a tab’s worth and then displaces nothing', () => {
    const settings = defaultSettings();
    const limiter = createRateLimiter({
      ratePerSecond: settings.reliability.maxConnectionsPerTab / 60,
      burst: settings.reliability.maxConnectionsPerTab,
      drops,
      dropReason: 'new-connection-rate-limited',
      now: () => now,
    });
    const { tracker, processor } = setup((tabId) => limiter.allow(`tab:${tabId}`));
    const cap = settings.reliability.maxConnectionsPerTab;

    for (let i = 0; i < 1_000; i++) processor.process(report(1, `forged-${i}`));
    expect(tracker.size()).toBe(cap);
    expect(outbox.remove).not.toHaveBeenCalled();
    expect(drops.snapshot()['new-connection-rate-limited']).toBe(1_000 - cap);

    // A minute later the tab may open another tab's worth, but the tab is full of connected
    // connections, which a newcomer never evicts: refused and counted, no group churns.
    now += 60_000;
    for (let i = 1_000; i < 2_000; i++) processor.process(report(1, `forged-${i}`));
    expect(tracker.size()).toBe(cap);
    expect(outbox.remove).not.toHaveBeenCalled();
    expect(drops.snapshot()['tracker-refused-tab-full']).toBe(cap);
  });

  it('admits every connection when no admission rule is given', () => {
    const { tracker, processor } = setup();
    for (let i = 0; i < 5; i++) processor.process(report(1, `pc-${i}`));
    expect(tracker.size()).toBe(5);
  });

  it('counts in the drops the SSRCs past the quality window’s cap, once per report that claims them', () => {
    const { processor } = setup();
    const claimed = MAX_STREAMS_PER_CONNECTION + 36;
    const manySsrcs = (seq: number): InboundReport => {
      const base = report(1, 'many');
      const stats = Array.from({ length: claimed }, (_, i): RtcStat => ({
        id: `IT${i}`, type: 'inbound-rtp', timestamp: seq, kind: 'audio', ssrc: i, packetsReceived: seq, packetsLost: 0,
      }));
      return { ...base, report: { ...base.report, seq, stats } } as InboundReport;
    };

    processor.process(manySsrcs(1));
    expect(drops.snapshot()['quality-streams-over-cap']).toBe(36);
    processor.process(manySsrcs(2));
    expect(drops.snapshot()['quality-streams-over-cap']).toBe(72);
  });

  it('in the full profile, exports no more distinct ssrc values than the cap for a page that rotates them, and counts the rest', () => {
    vi.useFakeTimers();
    try {
      const { processor, settings } = setup();
      settings.exportProfile = 'full';
      processor.start();
      const polls = MAX_SSRC_LABELS_PER_CONNECTION + 20;
      for (let seq = 1; seq <= polls; seq++) {
        const base = report(1, 'rotating');
        const stats: RtcStat[] = [
          { id: 'IT1', type: 'inbound-rtp', timestamp: seq, kind: 'audio', ssrc: 5_000 + seq, packetsReceived: seq, packetsLost: 0 },
        ];
        processor.process({ ...base, report: { ...base.report, seq, stats } } as InboundReport);
        now += settings.pushIntervalMs;
        vi.advanceTimersByTime(settings.pushIntervalMs);
      }
      const bodies = outbox.put.mock.calls.map((call) => String(call[2]));
      const values = new Set(bodies.flatMap((body) => [...body.matchAll(/ssrc="([^"]*)"/g)].map((match) => match[1])));
      expect(bodies.length).toBe(polls);
      expect(values.size).toBe(MAX_SSRC_LABELS_PER_CONNECTION + 1);
      expect(drops.snapshot()['ssrc-labels-over-cap']).toBe(polls - MAX_SSRC_LABELS_PER_CONNECTION);
      processor.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('report processor and late reports of ended connections', () => {
  let drops: ReturnType<typeof createDropCounter>;
  let outbox: { put: ReturnType<typeof vi.fn>; remove: ReturnType<typeof vi.fn> };

  beforeEach(() => {
    fakeBrowser.reset();
    drops = createDropCounter();
    outbox = { put: vi.fn(), remove: vi.fn() };
  });

  const setup = () => createProcessorUnderTest({ now: () => 1_000_000, drops, outbox });
  const ended = (tabId: number, pcId: string): InboundReport => ({ ...report(tabId, pcId), report: { event: 'ended', pcId, seq: 2, reason: 'pagehide' } });

  it.each([
    [
      'its document was replaced (navigation or reload: Firefox says nothing of the sender)',
      (p: ReturnType<typeof setup>) => p.processor.endForGood(p.tracker.removeWhere((entry) => entry.tabId === 1)),
    ],
    ['the tab was closed', (p: ReturnType<typeof setup>) => p.processor.endForGood(p.tracker.endTab(1))],
    ['the hook said it ended', (p: ReturnType<typeof setup>) => p.processor.process(ended(1, 'pc-a'))],
  ])('refuses and counts a stats report arriving after the connection ended because %s, so no group comes back', (_why, end) => {
    const under = setup();
    under.processor.process(report(1, 'pc-a'));
    expect(outbox.put).toHaveBeenCalledTimes(1);
    end(under);
    expect(outbox.remove).toHaveBeenCalledTimes(1);

    under.processor.process(report(1, 'pc-a'));

    expect(under.tracker.size()).toBe(0);
    expect(outbox.put).toHaveBeenCalledTimes(1);
    expect(drops.snapshot()[REPORT_AFTER_END]).toBe(1);
  });

  it('takes in the new document’s connections in the same tab and frame, and the same connection id in another tab', () => {
    const under = setup();
    under.processor.process(report(1, 'old-doc-0'));
    under.processor.endForGood(under.tracker.removeWhere((entry) => entry.tabId === 1));

    under.processor.process(report(1, 'new-doc-0'));
    under.processor.process(report(2, 'old-doc-0'));

    expect(under.tracker.list().map((entry) => `${entry.tabId}/${entry.pcId}`).sort()).toEqual(['1/new-doc-0', '2/old-doc-0']);
    expect(drops.snapshot()[REPORT_AFTER_END]).toBeUndefined();
  });
});

describe('relay and background batch limits', () => {
  it('accept in the background every batch size the relay forwards', () => {
    expect(MAX_REPORTS_PER_BATCH).toBe(RELAY_MAX_REPORTS_PER_BATCH);
    const full = Array.from({ length: RELAY_MAX_REPORTS_PER_BATCH }, (_, i) => report(1, `pc-${i}`).report);
    expect(parseInboundBatch(full, { tab: { id: 1 }, frameId: 0, url: 'https://call.example/' }).ok).toBe(true);
  });
});

describe('report processor push cadence and call identity', () => {
  const samples = loadFixture('chromium-av-loopback').pcs[0]!.samples!;
  let now: number;
  let drops: ReturnType<typeof createDropCounter>;
  let outbox: { put: ReturnType<typeof vi.fn>; remove: ReturnType<typeof vi.fn> };

  function setup() {
    const created = createProcessorUnderTest({ now: () => now, drops, outbox });
    created.processor.start();
    return created;
  }

  function statsReport(tabId: number, pcId: string, state: 'new' | 'connected', stats: RtcStat[]): InboundReport {
    return {
      source: { tabId, frameId: 0, url: 'https://call.example/room?secret=1' },
      platform: 'custom',
      origin: 'https://call.example',
      report: { event: 'stats', pcId, seq: 1, state, stats },
    };
  }

  /** Reports every 2 s (the poll interval) for `seconds`, alternating the two recorded samples. */
  function poll(processor: ReturnType<typeof setup>['processor'], tabId: number, pcId: string, seconds: number) {
    for (let t = 0; t < seconds; t += 2) {
      now += 2_000;
      vi.advanceTimersByTime(2_000);
      processor.process(statsReport(tabId, pcId, 'connected', samples[(t / 2) % 2]!));
    }
  }

  beforeEach(() => {
    fakeBrowser.reset();
    vi.useFakeTimers();
    now = 1_764_600_000_000;
    drops = createDropCounter();
    outbox = { put: vi.fn(), remove: vi.fn() };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('dates snapshots that waited in the hook by when they were taken, and never before the previous one', () => {
    const windowAdds: number[] = [];
    const { processor } = createProcessorUnderTest({ now: () => now, drops, outbox, windowAdds });
    const start = now;
    const held = (seq: number, heldMs?: number): InboundReport => {
      const item = statsReport(1, 'pc', 'connected', samples[seq % 2]!);
      return { ...item, report: { ...item.report, seq, ...(heldMs !== undefined ? { heldMs } : {}) } } as InboundReport;
    };
    processor.process(held(0));
    now += 1_000;
    // Four 250 ms polls sent together, as the hook does at a 250 ms poll and a 1 s report interval.
    for (const [seq, heldMs] of [[1, 750], [2, 500], [3, 250], [4, undefined]] as const) processor.process(held(seq, heldMs));
    // A page claiming its snapshot waited 10 s: dated no earlier than the one before it.
    processor.process(held(5, 10_000));
    expect(windowAdds.map((at) => at - start)).toEqual([0, 250, 500, 750, 1_000, 1_000]);
  });

  it('tracks a never-connected connection without RTP but gives it no group', () => {
    const { tracker, processor, exportState } = setup();
    for (let i = 0; i < 10; i++) processor.process(statsReport(1, 'idle', 'new', [{ id: 'P', type: 'peer-connection', timestamp: 1 } as RtcStat]));
    vi.advanceTimersByTime(60_000);
    expect(tracker.size()).toBe(1);
    expect(outbox.put).not.toHaveBeenCalled();
    expect(exportState.counters().started).toEqual({});
  });

  it('pushes a connected connection at once, then once per push interval while reports come every poll', () => {
    const { processor, settings } = setup();
    processor.process(statsReport(1, 'pc', 'connected', samples[0]!));
    expect(outbox.put).toHaveBeenCalledTimes(1);
    const [, key, first] = outbox.put.mock.calls[0]! as [string, Record<string, string>, string];
    expect(Object.keys(key)).toEqual(['platform', 'origin', 'call_id', 'peer_connection_id']);
    expect(key.origin).toBe('https://call.example');
    expect(first).toContain('webrtc_connection_start_timestamp_seconds');

    poll(processor, 1, 'pc', 30);
    // 30 s of reports at 2 s: 15 reports, 3 pushes (10 s each) after the first.
    expect(outbox.put).toHaveBeenCalledTimes(1 + 30_000 / settings.pushIntervalMs);
    const last = outbox.put.mock.calls.at(-1)![2] as string;
    expect(last).toMatch(/^webrtc_packet_loss_ratio\{kind="audio",direction="inbound"\} /m);
    expect(last).toContain('webrtc_quality_class{class=');
  });

  it('gives the connections of one tab one call id, another tab another, and never takes one from the page', () => {
    const { processor } = setup();
    processor.process(statsReport(1, 'a', 'connected', samples[0]!));
    processor.process(statsReport(1, 'b', 'connected', samples[0]!));
    processor.process(statsReport(2, 'a', 'connected', samples[0]!));
    const keys = outbox.put.mock.calls.map((call) => call[1] as Record<string, string>);
    expect(keys).toHaveLength(3);
    expect(keys[0]!.call_id).toBe(keys[1]!.call_id);
    expect(keys[2]!.call_id).not.toBe(keys[0]!.call_id);
    expect(keys[0]!.call_id).toMatch(/^[a-z0-9]{12}$/);
    expect(new Set(keys.map((key) => key.peer_connection_id)).size).toBe(3);
  });

  it('deletes an ended connection’s group at once under the key it was pushed with, and counts it by final class', () => {
    const { processor, exportState } = setup();
    processor.process(statsReport(1, 'pc', 'connected', samples[0]!));
    poll(processor, 1, 'pc', 10);
    const key = outbox.put.mock.calls[0]![1];
    processor.process({ ...statsReport(1, 'pc', 'connected', []), report: { event: 'ended', pcId: 'pc', seq: 9, reason: 'closed' } });
    expect(outbox.remove).toHaveBeenCalledTimes(1);
    expect(outbox.remove).toHaveBeenCalledWith(outbox.put.mock.calls[0]![0], key);
    expect(exportState.counters()).toEqual({ started: { custom: 1 }, ended: { 'custom/good': 1 } });
    const puts = outbox.put.mock.calls.length;
    vi.advanceTimersByTime(60_000);
    expect(outbox.put).toHaveBeenCalledTimes(puts);
  });

  it('deletes the group under its old key when the export profile changes, and pushes under the new one', () => {
    const { processor, settings } = setup();
    processor.process(statsReport(1, 'pc', 'connected', samples[0]!));
    const [groupId, oldKey] = outbox.put.mock.calls[0]! as [string, Record<string, string>];
    settings.exportProfile = 'legacy';
    poll(processor, 1, 'pc', 10);
    expect(outbox.remove).toHaveBeenCalledTimes(1);
    expect(outbox.remove.mock.calls[0]![0]).toMatch(new RegExp(`^${groupId}~`));
    expect(outbox.remove.mock.calls[0]![1]).toEqual(oldKey);
    expect(outbox.put.mock.calls.at(-1)![1]).toEqual({ peerConnectionId: groupId });
    expect(outbox.put.mock.calls.at(-1)![2]).toContain('inbound_rtp_bytesReceived');
  });
});
