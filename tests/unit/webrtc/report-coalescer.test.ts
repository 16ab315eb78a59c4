import { describe, expect, it } from 'vitest';
import { createReportCoalescer } from '@/utils/webrtc/report-coalescer';
import { createDropCounter } from '@/utils/resilience/drop-counter';
import type { HookReport } from '@/utils/webrtc/report-schema';

function stats(pcId: string, seq: number): HookReport {
  return { event: 'stats', pcId, seq, state: 'connected', stats: [] };
}
function ended(pcId: string, seq: number): HookReport {
  return { event: 'ended', pcId, seq, reason: 'closed' };
}
const sized = (...reports: HookReport[]) => reports.map((report) => ({ report, bytes: 100 }));

function setup(maxPending = 10) {
  const drops = createDropCounter();
  return { drops, queue: createReportCoalescer({ maxPending, drops }) };
}

describe('createReportCoalescer', () => {
  it('keeps only the newest stats report of each connection', () => {
    const { queue, drops } = setup();
    queue.add(sized(stats('a', 0), stats('b', 0), stats('a', 1)));
    expect(queue.take(100, 1e6)).toEqual([stats('a', 1), stats('b', 0)]);
    expect(drops.snapshot()).toEqual({ 'relay-coalesced': 1 });
  });

  it('lets ended replace a waiting stats report and never be replaced by one', () => {
    const { queue } = setup();
    queue.add(sized(stats('a', 0), ended('a', 1), stats('a', 2)));
    expect(queue.take(100, 1e6)).toEqual([ended('a', 1)]);
  });

  it('ignores an older report arriving after a newer one', () => {
    const { queue, drops } = setup();
    queue.add(sized(stats('a', 5), stats('a', 4)));
    expect(queue.take(100, 1e6)).toEqual([stats('a', 5)]);
    expect(drops.snapshot()).toEqual({ 'relay-stale-report': 1 });
  });

  it('caps waiting connections and counts the rest', () => {
    const { queue, drops } = setup(2);
    queue.add(sized(stats('a', 0), stats('b', 0), stats('c', 0)));
    expect(queue.size()).toBe(2);
    expect(drops.snapshot()).toEqual({ 'relay-queue-full': 1 });
  });

  it('takes at most the given count and bytes, oldest first, and keeps the rest', () => {
    const { queue } = setup();
    queue.add(sized(stats('a', 0), stats('b', 0), stats('c', 0)));
    expect(queue.take(2, 1e6)).toEqual([stats('a', 0), stats('b', 0)]);
    queue.add(sized(stats('d', 0)));
    expect(queue.take(100, 150)).toEqual([stats('c', 0)]);
    expect(queue.take(100, 150)).toEqual([stats('d', 0)]);
    expect(queue.size()).toBe(0);
  });
});
