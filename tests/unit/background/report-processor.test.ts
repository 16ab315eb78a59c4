import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createReportProcessor, type InboundReport } from '@/utils/background/report-processor';
import { MAX_REPORTS_PER_BATCH, parseInboundBatch } from '@/utils/background/inbound-reports';
import { MAX_REPORTS_PER_BATCH as RELAY_MAX_REPORTS_PER_BATCH } from '@/utils/webrtc/report-batch-validator';
import { createConnectionTracker } from '@/utils/integrity/connection-tracker';
import { createQualityHistory } from '@/utils/quality/quality-history';
import { createRateLimiter } from '@/utils/resilience/rate-limiter';
import { createDropCounter } from '@/utils/resilience/drop-counter';
import { defaultSettings } from '@/utils/settings/settings-schema';
import type { Outbox } from '@/utils/export/outbox';
import { createMemoryArea } from '../integrity/memory-area';

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

describe('report processor admission of new connections', () => {
  let now: number;
  let drops: ReturnType<typeof createDropCounter>;
  let outbox: { put: ReturnType<typeof vi.fn>; remove: ReturnType<typeof vi.fn> };

  function setup(admit?: (tabId: number) => boolean) {
    const settings = defaultSettings();
    const tracker = createConnectionTracker({ area: createMemoryArea().area, limits: () => settings.reliability, drops, now: () => now });
    const processor = createReportProcessor({
      tracker,
      outbox: outbox as unknown as Outbox,
      history: createQualityHistory({ maxPointsPerGroup: 10, maxGroups: 100 }),
      drops,
      settings: () => settings,
      now: () => now,
      onOutboxChanged: () => {},
      admitNewConnection: admit,
    });
    return { tracker, processor, settings };
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
    expect(outbox.put).toHaveBeenCalledTimes(2);
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
});

describe('relay and background batch limits', () => {
  it('accept in the background every batch size the relay forwards', () => {
    expect(MAX_REPORTS_PER_BATCH).toBe(RELAY_MAX_REPORTS_PER_BATCH);
    const full = Array.from({ length: RELAY_MAX_REPORTS_PER_BATCH }, (_, i) => report(1, `pc-${i}`).report);
    expect(parseInboundBatch(full, { tab: { id: 1 }, frameId: 0, url: 'https://call.example/' }).ok).toBe(true);
  });
});
