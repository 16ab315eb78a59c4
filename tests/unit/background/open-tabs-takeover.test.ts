import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  HOOK_SCRIPT_FILE,
  RELAY_SCRIPT_FILE,
  TAKEOVER_MAX_TABS,
  takeOverOpenTabs,
} from '@/utils/background/open-tabs-takeover';
import { PROBE_EVENT } from '@/utils/webrtc/page-channel';
import { createDropCounter } from '@/utils/resilience/drop-counter';
import { defaultSettings, type Settings } from '@/utils/settings/settings-schema';

interface Injection {
  target: { tabId: number; allFrames?: boolean; frameIds?: number[] };
  world?: string;
  files?: string[];
  func?: () => unknown;
}

/** A scripting API whose probe answers, per tab, which frames already run a hook. */
function fakeScripting(framesWithHook: Record<number, Record<number, boolean>>, failing: number[] = []) {
  const calls: Injection[] = [];
  const executeScript = vi.fn(async (injection: Injection) => {
    calls.push(injection);
    const { tabId } = injection.target;
    if (failing.includes(tabId)) throw new Error('Cannot access contents of the page');
    if (injection.func) {
      return Object.entries(framesWithHook[tabId] ?? { 0: false }).map(([frameId, has]) => ({ frameId: Number(frameId), result: has }));
    }
    return [];
  });
  return { calls, scripting: { executeScript } as never };
}

const settings: Settings = { ...defaultSettings(), customOrigins: ['https://call.example/*'] };
const tab = (id: number, url: string) => ({ id, url });

describe('takeOverOpenTabs', () => {
  afterEach(() => {
    Reflect.deleteProperty(globalThis, 'window');
  });

  it('gives every captured open tab a relay, and a hook only to frames that have none', async () => {
    const drops = createDropCounter();
    const { calls, scripting } = fakeScripting({ 1: { 0: true, 5: false }, 2: { 0: true } });
    const tabs = { query: async () => [tab(1, 'https://call.example/room'), tab(2, 'https://meet.google.com/abc')] } as never;

    const result = await takeOverOpenTabs({ tabs, scripting, settings, drops });

    expect(result).toEqual({ tabs: 2, hooksInjected: 1, failed: 0 });
    const hookInjections = calls.filter((call) => call.files?.includes(HOOK_SCRIPT_FILE));
    expect(hookInjections).toEqual([{ target: { tabId: 1, frameIds: [5] }, world: 'MAIN', files: [HOOK_SCRIPT_FILE] }]);
    const relayTabs = calls.filter((call) => call.files?.includes(RELAY_SCRIPT_FILE)).map((call) => call.target);
    expect(relayTabs).toEqual([
      { tabId: 1, allFrames: true },
      { tabId: 2, allFrames: true },
    ]);
  });

  it('leaves tabs alone whose origin is not captured, or switched off', async () => {
    const { calls, scripting } = fakeScripting({});
    const tabs = {
      query: async () => [tab(1, 'https://news.example/'), tab(2, 'https://call.example/x'), { id: 3 }, { url: 'https://call.example/y' }],
    } as never;

    const result = await takeOverOpenTabs({
      tabs,
      scripting,
      settings: { ...settings, disabledOrigins: ['https://call.example'] },
      drops: createDropCounter(),
    });

    expect(result.tabs).toBe(0);
    expect(calls).toEqual([]);
  });

  it('counts a tab it cannot script and carries on with the next', async () => {
    const drops = createDropCounter();
    const { scripting } = fakeScripting({}, [1]);
    const tabs = { query: async () => [tab(1, 'https://call.example/a'), tab(2, 'https://call.example/b')] } as never;

    const result = await takeOverOpenTabs({ tabs, scripting, settings, drops });

    expect(result).toMatchObject({ tabs: 1, failed: 1 });
    expect(drops.snapshot()).toEqual({ 'takeover-failed': 1 });
  });

  it('takes over at most TAKEOVER_MAX_TABS tabs and counts the rest', async () => {
    const drops = createDropCounter();
    const { scripting } = fakeScripting({});
    const many = Array.from({ length: TAKEOVER_MAX_TABS + 7 }, (_, i) => tab(i + 1, `https://call.example/${i}`));

    const result = await takeOverOpenTabs({ tabs: { query: async () => many } as never, scripting, settings, drops });

    expect(result.tabs).toBe(TAKEOVER_MAX_TABS);
    expect(drops.snapshot()).toEqual({ 'takeover-tab-cap': 7 });
  });

  it.each([
    ['a frame whose hook answers the probe event', true],
    ['a frame without a hook', false],
  ])('probes %s by the hook’s own probe event', async (_name, hasHook) => {
    const { calls, scripting } = fakeScripting({});
    await takeOverOpenTabs({
      tabs: { query: async () => [tab(1, 'https://call.example/')] } as never,
      scripting,
      settings,
      drops: createDropCounter(),
    });
    const probe = calls.find((call) => call.func)!.func!;
    const fakeWindow = new EventTarget();
    if (hasHook) fakeWindow.addEventListener(PROBE_EVENT, (event) => event.preventDefault());
    Object.defineProperty(globalThis, 'window', { value: fakeWindow, configurable: true });
    expect(probe()).toBe(hasHook);
  });
});
