import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createEndedConnections, ENDED_CONNECTION_MEMORY_MS, MAX_ENDED_CONNECTIONS } from '@/utils/background/ended-connections';
import { createDropCounter, type DropCounter } from '@/utils/resilience/drop-counter';

describe('ended connections', () => {
  let drops: DropCounter;

  beforeEach(() => {
    fakeBrowser.reset();
    drops = createDropCounter();
  });

  it.each([
    ['the same tab, frame and connection id', { tabId: 1, frameId: 0, pcId: 'a-0' }, true],
    ['another connection id in the frame (a new document’s)', { tabId: 1, frameId: 0, pcId: 'b-0' }, false],
    ['the same id in another frame', { tabId: 1, frameId: 3, pcId: 'a-0' }, false],
    ['the same id in another tab', { tabId: 2, frameId: 0, pcId: 'a-0' }, false],
  ])('says a report for %s comes after the end: %s', (_case, address, expected) => {
    const ended = createEndedConnections({ drops });
    ended.remember({ tabId: 1, frameId: 0, pcId: 'a-0' });
    expect(ended.isEnded(address)).toBe(expected);
  });

  it('keeps at most its cap, forgets the oldest first and counts each one forgotten', () => {
    const ended = createEndedConnections({ drops, max: 3 });
    for (let i = 0; i < 5; i++) ended.remember({ tabId: 1, frameId: 0, pcId: `pc-${i}` });
    expect(ended.size()).toBe(3);
    expect(ended.isEnded({ tabId: 1, frameId: 0, pcId: 'pc-1' })).toBe(false);
    expect(ended.isEnded({ tabId: 1, frameId: 0, pcId: 'pc-2' })).toBe(true);
    expect(drops.snapshot()).toEqual({ 'ended-connections-evicted-size': 2 });
  });

  it('forgets an ended connection after its memory time, uncounted, so the set returns to empty once calls stop', () => {
    let now = 1_000;
    const ended = createEndedConnections({ drops, now: () => now });
    ended.remember({ tabId: 1, frameId: 0, pcId: 'a-0' });
    now += ENDED_CONNECTION_MEMORY_MS - 1;
    expect(ended.isEnded({ tabId: 1, frameId: 0, pcId: 'a-0' })).toBe(true);
    now += 2;
    expect(ended.size()).toBe(0);
    expect(ended.isEnded({ tabId: 1, frameId: 0, pcId: 'a-0' })).toBe(false);
    expect(drops.snapshot()).toEqual({});
  });

  it('is capped by default at a thousand', () => {
    expect(createEndedConnections({ drops }).cap()).toBe(MAX_ENDED_CONNECTIONS);
    expect(MAX_ENDED_CONNECTIONS).toBe(1_000);
  });
});
