import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { badgeTitle, createBadge, type BadgeAction, type BadgeTabState } from '@/utils/background/badge';
import { createConnectionTracker, type ConnectionUpdate } from '@/utils/integrity/connection-tracker';
import { createDropCounter } from '@/utils/resilience/drop-counter';
import { createMemoryArea } from '../integrity/memory-area';

const NAME = 'WebRTC Stats Exporter';

function update(tabId: number, pcId: string): ConnectionUpdate {
  return { tabId, frameId: 0, pcId, origin: 'https://meet.google.com', platform: 'meet', state: 'connected' };
}

/** Lets the badge's fire-and-forget browser calls settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup(options: { action?: BadgeAction } = { action: fakeBrowser.action }) {
  const action = options.action;
  const tracker = createConnectionTracker({
    area: createMemoryArea().area,
    limits: () => ({ maxConnectionsPerTab: 200, maxConnectionsTotal: 200 }),
    drops: createDropCounter(),
  });
  const states = new Map<number, BadgeTabState>();
  const onError = vi.fn();
  const badge = createBadge({
    action,
    countForTab: (tabId) => tracker.countForTab(tabId),
    tabsWithConnections: () => tracker.tabIds(),
    stateFor: (tabId) => states.get(tabId) ?? { capture: 'on' },
    onError,
  });
  const shown = async (tabId: number) => ({
    text: await fakeBrowser.action.getBadgeText({ tabId }),
    title: await fakeBrowser.action.getTitle({ tabId }),
  });
  return { tracker, states, badge, shown, onError };
}

describe('action badge', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('shows each tab’s live connection count from the tracker, with a title saying capture is on', async () => {
    const { tracker, badge, shown } = setup();
    tracker.upsert(update(1, 'a'));
    tracker.upsert(update(1, 'b'));
    tracker.upsert(update(2, 'c'));
    badge.update();
    await settle();
    expect(await shown(1)).toEqual({ text: '2', title: `${NAME}: capture on, 2 connections in this tab` });
    expect(await shown(2)).toEqual({ text: '1', title: `${NAME}: capture on, 1 connection in this tab` });
    expect(await shown(3)).toEqual({ text: '', title: '' });
  });

  it('follows connections as they start and end, and clears the badge when the last one ends', async () => {
    const { tracker, badge, shown } = setup();
    tracker.upsert(update(1, 'a'));
    badge.update();
    tracker.upsert(update(1, 'b'));
    badge.update();
    await settle();
    expect((await shown(1)).text).toBe('2');

    tracker.end(1, 0, 'a');
    badge.update();
    await settle();
    expect((await shown(1)).text).toBe('1');

    tracker.endTab(1);
    badge.update();
    await settle();
    expect(await shown(1)).toEqual({ text: '', title: NAME });
    expect(badge.shownTabs()).toEqual([]);
  });

  it.each<[string, BadgeTabState, RegExp]>([
    ['degraded, with the reason', { capture: 'degraded', reason: 'Pushgateway unreachable' }, /capture degraded, 1 connection in this tab \(Pushgateway unreachable\)$/],
    ['off', { capture: 'off' }, /capture off for this site, 1 connection ending$/],
  ])('says in the title when capture is %s', async (_name, state, title) => {
    const { tracker, states, badge, shown } = setup();
    tracker.upsert(update(4, 'a'));
    badge.update();
    states.set(4, state);
    badge.update();
    await settle();
    expect((await shown(4)).title).toMatch(title);
    expect((await shown(4)).title.startsWith(`${NAME}: `)).toBe(true);
  });

  it('calls the browser only for tabs whose count or state changed', async () => {
    const setText = vi.spyOn(fakeBrowser.action, 'setBadgeText');
    const setTitle = vi.spyOn(fakeBrowser.action, 'setTitle');
    const { tracker, states, badge } = setup();
    tracker.upsert(update(1, 'a'));
    tracker.upsert(update(2, 'b'));
    badge.update();
    expect(setText).toHaveBeenCalledTimes(2);

    for (let i = 0; i < 10; i++) badge.update();
    tracker.upsert(update(1, 'a')); // a report of a known connection: same count
    badge.update();
    expect(setText).toHaveBeenCalledTimes(2);

    states.set(2, { capture: 'degraded', reason: 'start-up incomplete' });
    badge.update();
    expect(setText).toHaveBeenCalledTimes(3);
    expect(setText).toHaveBeenLastCalledWith({ tabId: 2, text: '1' });
    expect(setTitle).toHaveBeenCalledTimes(3);
  });

  it('re-sends every tab’s badge when forced (the browser resets it on navigation)', async () => {
    const { tracker, badge, shown } = setup();
    tracker.upsert(update(1, 'a'));
    badge.update();
    await settle();
    await fakeBrowser.action.setBadgeText({ tabId: 1, text: '' });
    badge.update();
    await settle();
    expect((await shown(1)).text).toBe('');
    badge.update({ force: true });
    await settle();
    expect((await shown(1)).text).toBe('1');
  });

  it('sends nothing for a tab that closed', async () => {
    const setText = vi.spyOn(fakeBrowser.action, 'setBadgeText');
    const { tracker, badge } = setup();
    tracker.upsert(update(1, 'a'));
    badge.update();
    badge.forget(1);
    tracker.endTab(1);
    badge.update();
    expect(setText).toHaveBeenCalledTimes(1);
  });

  it('caps the text at 99+', async () => {
    const { tracker, badge, shown } = setup();
    for (let i = 0; i < 120; i++) tracker.upsert(update(1, `pc${i}`));
    badge.update();
    await settle();
    expect(await shown(1)).toEqual({ text: '99+', title: `${NAME}: capture on, 120 connections in this tab` });
  });

  it('tries a failed call again on the next update, and ignores a tab that is gone', async () => {
    const { tracker, badge, shown, onError } = setup();
    const setText = vi
      .spyOn(fakeBrowser.action, 'setBadgeText')
      .mockRejectedValueOnce(new Error('No tab with id: 1.'))
      .mockRejectedValueOnce(new Error('storage exploded'));
    tracker.upsert(update(1, 'a'));
    badge.update();
    await settle();
    badge.update();
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0]).toMatchObject({ message: 'storage exploded' });
    badge.update();
    await settle();
    expect(setText).toHaveBeenCalledTimes(3);
    expect((await shown(1)).text).toBe('1');
  });

  it('does nothing without an action API (an MV2 build)', () => {
    const { tracker, badge } = setup({ action: undefined });
    tracker.upsert(update(1, 'a'));
    expect(() => badge.update()).not.toThrow();
    expect(badge.shownTabs()).toEqual([]);
  });

  it('writes a singular for one connection', () => {
    expect(badgeTitle('X', 1, { capture: 'on' })).toBe('X: capture on, 1 connection in this tab');
    expect(badgeTitle('X', 3, { capture: 'degraded' })).toBe('X: capture degraded, 3 connections in this tab');
  });
});
