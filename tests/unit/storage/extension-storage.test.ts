import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  createStorageAdapter,
  type BrowserAreaLike,
  type BrowserStorageLike,
} from '../../../utils/storage/extension-storage';

const fakeAreas = () => fakeBrowser.storage as unknown as BrowserStorageLike;

describe('createStorageAdapter', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('reads a missing key as undefined and leaves missing keys out of a multi-key read', async () => {
    const local = createStorageAdapter(fakeAreas()).area('local')!;
    await fakeBrowser.storage.local.set({ a: 1, b: { c: [2] } });

    expect(await local.get('missing')).toBeUndefined();
    expect(await local.getMany(['a', 'b', 'missing'])).toEqual({ a: 1, b: { c: [2] } });
  });

  it('writes, skips undefined values and removes, in the browser area it names', async () => {
    const session = createStorageAdapter(fakeAreas()).area('session')!;

    await session.set({ a: 1, skipped: undefined, b: 'two' });
    expect(await fakeBrowser.storage.session.get(null)).toEqual({ a: 1, b: 'two' });
    expect(await fakeBrowser.storage.local.get(null)).toEqual({});

    await session.remove(['a', 'b']);
    expect(await fakeBrowser.storage.session.get(null)).toEqual({});
  });

  it('calls back for the subscribed keys of its own area only, until unsubscribed', async () => {
    const sync = createStorageAdapter(fakeAreas()).area('sync')!;
    const seen: string[] = [];
    const stop = sync.onChange(['settings', 'settingsSavedAt'], (key) => seen.push(key));

    await fakeBrowser.storage.sync.set({ settings: { a: 1 }, other: 1 });
    await fakeBrowser.storage.local.set({ settings: { a: 2 } });
    await vi.waitFor(() => expect(seen).toEqual(['settings']));

    stop();
    await fakeBrowser.storage.sync.set({ settings: { a: 3 } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['settings']);
  });

  it('keeps one subscriber when another subscriber of the same key leaves, and calls each once', async () => {
    const local = createStorageAdapter(fakeAreas()).area('local')!;
    const first = vi.fn();
    const second = vi.fn();
    const stopFirst = local.onChange(['k'], first);
    local.onChange(['k'], second);
    stopFirst();
    // Subscribing again after leaving must not double the calls.
    const stopAgain = local.onChange(['k'], first);
    stopAgain();
    local.onChange(['k'], first);

    await fakeBrowser.storage.local.set({ k: 1 });

    await vi.waitFor(() => expect(second).toHaveBeenCalledTimes(1));
    expect(first).toHaveBeenCalledTimes(1);
  });

  it('keeps calling the other subscribers when one throws', async () => {
    const local = createStorageAdapter(fakeAreas()).area('local')!;
    const after = vi.fn();
    local.onChange(['k'], () => {
      throw new Error('listener bug');
    });
    local.onChange(['k'], after);

    await fakeBrowser.storage.local.set({ k: 1 });

    await vi.waitFor(() => expect(after).toHaveBeenCalledTimes(1));
  });

  it('gives a no-op subscription on an area without a change event', async () => {
    const { onChanged: _dropped, ...withoutEvents } = fakeBrowser.storage.local as unknown as BrowserAreaLike;
    const local = createStorageAdapter({ local: withoutEvents }).area('local')!;

    const stop = local.onChange(['k'], () => undefined);

    expect(stop).not.toThrow();
    await local.set({ k: 1 });
    expect(await local.get('k')).toBe(1);
  });

  it.each([
    ['missing', {}],
    ['without get()', { local: { set: async () => undefined } }],
    ['without set()', { local: { get: async () => ({}) } }],
    [
      'whose getter throws',
      Object.defineProperty({}, 'local', {
        get() {
          throw new Error('no storage permission');
        },
      }),
    ],
  ])('answers undefined for an area that is %s', (_, storage) => {
    expect(createStorageAdapter(storage as BrowserStorageLike).area('local')).toBeUndefined();
  });

  it('reads admin policy through a managed area that has no write methods', async () => {
    await fakeBrowser.storage.managed.set({ agentId: 'from-policy' });
    const managed = createStorageAdapter(fakeAreas()).managed()!;

    expect(await managed.getMany(['agentId', 'gateway'])).toEqual({ agentId: 'from-policy' });
    expect(Object.keys(managed).sort()).toEqual(['get', 'getMany', 'name', 'onChange']);
  });

  it("reports the area's per-item quota when the browser gives one", () => {
    const sync = { ...(fakeBrowser.storage.sync as unknown as BrowserAreaLike), QUOTA_BYTES_PER_ITEM: 8_192 };
    const adapter = createStorageAdapter({ sync, local: fakeAreas().local });

    expect(adapter.area('sync')?.quotaBytesPerItem).toBe(8_192);
    expect(adapter.area('local')?.quotaBytesPerItem).toBeUndefined();
  });
});
