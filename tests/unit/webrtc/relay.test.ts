// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { ContentScriptContext } from 'wxt/utils/content-script-context';
import { onMessage, sendMessage } from '@/utils/messaging/extension-protocol';
import { HEARTBEAT_MS, openHookChannel, type HookChannel, type RelayMessage } from '@/utils/webrtc/page-channel';
import { capturePagePrimitives } from '@/utils/webrtc/page-primitives';
import type { HookConfig } from '@/utils/messaging/hook-config';
import type { HookReport } from '@/utils/webrtc/report-schema';
import { REPORT_PORT_NAME, type PortLike } from '@/utils/messaging/report-port';
import {
  createRelay,
  RELAY_DROPS_REPORT_DELAY_MS,
  RELAY_MAX_BATCHES_PER_SECOND,
  RELAY_MISSED_PONGS,
  type Relay,
} from '@/utils/webrtc/relay';

vi.mock('@/utils/messaging/extension-protocol', () => ({ sendMessage: vi.fn(), onMessage: vi.fn() }));

const CONFIG: HookConfig = {
  enabled: true,
  intervalMs: 1_000,
  statsTypes: ['inbound-rtp'],
  failedConnectionTimeoutMs: 30_000,
  maxStatsPerReport: 300,
  maxConnections: 20,
};

function stats(pcId: string, seq: number): HookReport {
  return { event: 'stats', pcId, seq, state: 'connected', stats: [{ id: 'IT01', type: 'inbound-rtp', timestamp: 1, packetsLost: seq }] };
}

const send = vi.mocked(sendMessage);
const EXTENSION_ID = fakeBrowser.runtime.id;
const listen = vi.mocked(onMessage);

let ctx: ContentScriptContext;
let hookSide: HookChannel;
let answerPings: boolean;
let hookDrops: Record<string, number>;
let hookConfigs: HookConfig[];
let hookStops: number;
let backgroundConfig: () => Promise<unknown>;
let forwarded: unknown[];
let dropReports: unknown[];
let removeConfigListener: ReturnType<typeof vi.fn>;
let configChanged: ((message: { data: unknown }) => void) | undefined;
/** What the background does with a batch posted on the report port (throw: the port is dead). */
let portPost: (batch: unknown) => void;
let ports: FakePort[];

interface FakePort extends PortLike {
  /** The worker went away: the port is disconnected and says so. */
  kill(): void;
  /** Dead, but its onDisconnect has not run yet (a post throws, as Chromium's does). */
  dead: boolean;
}

/** A report port the way runtime.connect gives one to the relay. */
function connectPort(info: { name: string }): FakePort {
  const disconnected: (() => void)[] = [];
  const port: FakePort = {
    name: info.name,
    dead: false,
    postMessage(message) {
      if (port.dead) throw new Error('Attempting to use a disconnected port object');
      portPost(message);
    },
    disconnect: vi.fn(),
    onMessage: { addListener: () => {} },
    onDisconnect: { addListener: (listener) => void disconnected.push(listener) },
    kill() {
      port.dead = true;
      for (const listener of disconnected) listener();
    },
  };
  ports.push(port);
  return port;
}

/** happy-dom's window is not an instance of its own EventTarget: the hook side takes the window's methods. */
function windowBuiltIns(): Window {
  return Object.assign(Object.create(window) as Record<string, unknown>, {
    EventTarget: { prototype: { addEventListener: window.addEventListener, removeEventListener: window.removeEventListener, dispatchEvent: window.dispatchEvent } },
  }) as unknown as Window;
}

/** Plays the page hook's side of the channel (started before the relay, as at document_start). */
function startHookSide(): void {
  hookSide = openHookChannel(window, capturePagePrimitives(windowBuiltIns()), (message: RelayMessage) => {
    if (message.t === 'hookConfig') hookConfigs.push(message.d as HookConfig);
    if (message.t === 'hookStop') hookStops++;
    if (message.t === 'ping' && answerPings) hookSide.send({ t: 'pong', d: hookDrops });
  });
}

function reportsToHook(batch: unknown): void {
  hookSide.send({ t: 'hookReports', id: 1, d: batch });
}

async function startRelay(): Promise<Relay> {
  ctx = new ContentScriptContext('relay');
  const relay = createRelay(ctx);
  await vi.advanceTimersByTimeAsync(0);
  return relay;
}

beforeEach(() => {
  fakeBrowser.reset();
  // WXT logs each invalidation at debug level.
  vi.spyOn(console, 'debug').mockImplementation(() => {});
  vi.useFakeTimers();
  hookConfigs = [];
  hookStops = 0;
  answerPings = true;
  hookDrops = {};
  forwarded = [];
  dropReports = [];
  backgroundConfig = () => Promise.resolve(CONFIG);
  removeConfigListener = vi.fn();
  configChanged = undefined;
  ports = [];
  portPost = (batch) => void forwarded.push(batch);
  fakeBrowser.runtime.connect = connectPort as unknown as typeof fakeBrowser.runtime.connect;
  send.mockImplementation(((type: string, data: unknown) => {
    if (type === 'getHookConfig') return backgroundConfig();
    if (type === 'relayDrops') {
      dropReports.push(data);
      return Promise.resolve();
    }
    return Promise.reject(new Error(`unexpected message ${type}`));
  }) as unknown as typeof sendMessage);
  listen.mockImplementation(((type: string, handler: (message: { data: unknown }) => void) => {
    if (type === 'hookConfigChanged') configChanged = handler;
    return removeConfigListener;
  }) as unknown as typeof onMessage);
  startHookSide();
});

afterEach(async () => {
  fakeBrowser.runtime.id = undefined as unknown as string; // the context goes: the relay stops
  if (ctx.isValid) ctx.notifyInvalidated();
  await vi.advanceTimersByTimeAsync(0);
  fakeBrowser.runtime.id = EXTENSION_ID;
  hookSide.close();
  vi.useRealTimers();
});

describe('createRelay', () => {
  it('tells the background what it rejected, once per report delay, and not what was merely superseded', async () => {
    await startRelay();
    reportsToHook('not an array');
    reportsToHook([{ event: 'stats' }]);
    reportsToHook([stats('p1', 0)]);
    reportsToHook([stats('p1', 1)]);
    await vi.advanceTimersByTimeAsync(RELAY_DROPS_REPORT_DELAY_MS);
    expect(dropReports).toHaveLength(1);
    const [report] = dropReports as Record<string, number>[];
    expect(Object.values(report!).reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(Object.keys(report!).every((reason) => reason.startsWith('rejected-'))).toBe(true);
    await vi.advanceTimersByTimeAsync(2 * RELAY_DROPS_REPORT_DELAY_MS);
    expect(dropReports).toHaveLength(1);
  });

  it('asks the background for the config and pushes it to a hook that is already there', async () => {
    const relay = await startRelay();
    expect(send).toHaveBeenCalledWith('getHookConfig');
    expect(relay.config()).toEqual(CONFIG);
    expect(hookConfigs).toEqual([CONFIG]);
  });

  it('pushes the config to a hook that pairs after the background answered', async () => {
    hookSide.close();
    hookConfigs = [];
    await startRelay();
    expect(hookConfigs).toEqual([]);
    startHookSide();
    expect(hookConfigs).toEqual([CONFIG]);
  });

  it('answers a page’s hellos in a frame without hook at most a few times, and counts the rest', async () => {
    hookSide.close(); // no hook in this frame
    const offers: unknown[] = [];
    const listener = (event: Event) => offers.push((event as CustomEvent).detail);
    window.addEventListener('webrtc-stats-exporter/page/offer', listener);
    const relay = await startRelay();
    for (let i = 0; i < 100; i++) window.dispatchEvent(new CustomEvent('webrtc-stats-exporter/page/hello'));
    window.removeEventListener('webrtc-stats-exporter/page/offer', listener);
    expect(offers.length).toBeLessThanOrEqual(4);
    expect(relay.drops()['hello-ignored']).toBeGreaterThanOrEqual(96);
  });

  it('once paired, offers its secret to nobody: a page’s hello gets no answer', async () => {
    await startRelay();
    const offers: unknown[] = [];
    const listener = (event: Event) => offers.push((event as CustomEvent).detail);
    window.addEventListener('webrtc-stats-exporter/page/offer', listener);
    window.dispatchEvent(new CustomEvent('webrtc-stats-exporter/page/hello'));
    window.removeEventListener('webrtc-stats-exporter/page/offer', listener);
    expect(offers).toEqual([]);
  });

  it('asks again for its own frame config when the background says settings changed', async () => {
    await startRelay();
    backgroundConfig = () => Promise.resolve({ ...CONFIG, intervalMs: 5_000 });
    configChanged?.({ data: { ...CONFIG, intervalMs: 9_000 } });
    await vi.advanceTimersByTimeAsync(0);
    expect(hookConfigs.at(-1)).toEqual({ ...CONFIG, intervalMs: 5_000 });
  });

  it('falls back to the pushed config when asking again fails', async () => {
    await startRelay();
    backgroundConfig = () => Promise.reject(new Error('Could not establish connection'));
    configChanged?.({ data: { ...CONFIG, intervalMs: 9_000 } });
    await vi.advanceTimersByTimeAsync(0);
    expect(hookConfigs.at(-1)).toEqual({ ...CONFIG, intervalMs: 9_000 });
  });

  it('refuses an invalid config from the background and counts it', async () => {
    const relay = await startRelay();
    backgroundConfig = () => Promise.resolve({ ...CONFIG, intervalMs: 'fast' });
    configChanged?.({ data: { ...CONFIG, intervalMs: 'fast' } });
    await vi.advanceTimersByTimeAsync(0);
    expect(hookConfigs).toEqual([CONFIG]);
    expect(relay.drops()['bad-config-from-background']).toBe(1);
  });

  it('retries getHookConfig with backoff while the background does not answer', async () => {
    let calls = 0;
    backgroundConfig = () => (++calls < 3 ? Promise.reject(new Error('Could not establish connection')) : Promise.resolve(CONFIG));
    const relay = await startRelay();
    expect(relay.config()).toBeNull();
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(3);
    expect(relay.config()).toEqual(CONFIG);
    expect(relay.drops()['config-fetch-failed']).toBe(2);
  });

  it('forwards a valid batch to the background at once, as one post, before the page event returns', async () => {
    await startRelay();
    reportsToHook([stats('p1', 0), stats('p2', 0)]);
    expect(forwarded).toEqual([[stats('p1', 0), stats('p2', 0)]]);
  });

  it.each([
    ['not an array', { reports: [] }, 'rejected-not-array'],
    ['a malformed report', [{ event: 'stats', pcId: 'p1' }], 'rejected-invalid'],
    ['more than 100 reports', Array.from({ length: 101 }, (_, i) => stats(`p${i}`, 0)), 'rejected-too-many'],
    ['over a megabyte', [{ ...stats('p1', 0), stats: Array.from({ length: 4_000 }, (_, i) => ({ id: `s${i}`, type: 'codec', timestamp: 1, mimeType: 'x'.repeat(250) })) }], 'rejected-too-large'],
  ])('rejects a batch that is %s and forwards nothing of it', async (_name, batch, reason) => {
    const relay = await startRelay();
    reportsToHook(batch);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(forwarded).toEqual([]);
    expect(relay.drops()[reason]).toBe(1);
  });

  it('forwards every snapshot of a connection, in order, none replaced by a newer one', async () => {
    const relay = await startRelay();
    reportsToHook([stats('p1', 0)]);
    reportsToHook([stats('p1', 1), stats('p2', 0), stats('p1', 2)]);
    expect(forwarded).toEqual([[stats('p1', 0)], [stats('p1', 1), stats('p2', 0), stats('p1', 2)]]);
    expect(relay.drops()).toEqual({});
  });

  it('sends every batch on one report port, opened on the first forward', async () => {
    await startRelay();
    expect(ports).toEqual([]);
    for (let seq = 0; seq < 5; seq++) {
      reportsToHook([stats('p1', seq)]);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(ports.map((port) => port.name)).toEqual([REPORT_PORT_NAME]);
    expect(forwarded).toHaveLength(5);
    expect(send).not.toHaveBeenCalledWith('hookReports', expect.anything());
  });

  it.each([
    ['the worker disconnected the old one', (port: FakePort) => port.kill()],
    ['the old one died before its onDisconnect ran', (port: FakePort) => void (port.dead = true)],
  ])('posts on a new port when %s, and loses nothing', async (_name, breakPort) => {
    const relay = await startRelay();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(0);
    breakPort(ports[0]!);
    reportsToHook([stats('p1', 1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(ports).toHaveLength(2);
    expect(forwarded).toEqual([[stats('p1', 0)], [stats('p1', 1)]]);
    expect(relay.drops()['forward-failed']).toBeUndefined();
  });

  it('drops batches beyond the per-second rate and counts them', async () => {
    const relay = await startRelay();
    for (let i = 0; i < RELAY_MAX_BATCHES_PER_SECOND + 5; i++) reportsToHook([stats(`p${i}`, 0)]);
    expect(forwarded).toHaveLength(RELAY_MAX_BATCHES_PER_SECOND);
    expect(relay.drops()['relay-rate-limited']).toBe(5);
  });

  it('tells the hook to stop and stops listening when its extension context is really gone', async () => {
    const relay = await startRelay();
    fakeBrowser.runtime.id = undefined as unknown as string;
    ctx.notifyInvalidated();
    expect(relay.drops()['forged-invalidation']).toBeUndefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(hookStops).toBe(1);
    expect(removeConfigListener).toHaveBeenCalled();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(forwarded).toEqual([]);
  });

  it('stops the hook, without acknowledging, when the hook reports after the extension context is gone (uninstall)', async () => {
    await startRelay();
    fakeBrowser.runtime.id = undefined as unknown as string; // no event says so: the relay finds out on the next report
    reportsToHook([stats('p1', 0)]);
    expect(hookStops).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(forwarded).toEqual([]);
  });

  it('keeps forwarding after a forged "content-script-started" event aborted WXT’s context, and counts it', async () => {
    const relay = await startRelay();
    // What a page can do: dispatch WXT's event under its name with another messageId.
    document.dispatchEvent(
      new CustomEvent(`${fakeBrowser.runtime.id}:${import.meta.env.ENTRYPOINT}:wxt:content-script-started`, {
        detail: { contentScriptName: 'relay', messageId: 'forged' },
      }),
    );
    expect(ctx.isValid).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(hookStops).toBe(0);
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(forwarded).toEqual([[stats('p1', 0)]]);
    expect(relay.drops()['forged-invalidation']).toBe(1);
  });

  it('forwards ended reports at once, after the snapshots sent before them', async () => {
    await startRelay();
    reportsToHook([stats('p1', 0)]);
    const ended = { event: 'ended', pcId: 'p1', seq: 1, reason: 'pagehide' };
    reportsToHook([stats('p2', 0), ended]);
    // Handed to the port before the page's event returns: on pagehide no timer would run.
    expect(forwarded).toEqual([[stats('p1', 0)], [stats('p2', 0), ended]]);
  });

  it('counts a hook that stops answering its pings once, as hook-silent', async () => {
    const relay = await startRelay();
    await vi.advanceTimersByTimeAsync(3 * HEARTBEAT_MS);
    expect(relay.drops()['hook-silent']).toBeUndefined();
    answerPings = false;
    await vi.advanceTimersByTimeAsync((RELAY_MISSED_PONGS + 5) * HEARTBEAT_MS);
    expect(relay.drops()['hook-silent']).toBe(1);
    expect(dropReports).toContainEqual({ 'hook-silent': 1 });
  });

  it('counts what the hook dropped, from its pongs, as hook-<reason>, once per increase', async () => {
    const relay = await startRelay();
    hookDrops = { 'connection-limit': 280 };
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    hookDrops = { 'connection-limit': 560, 'bad reason!': 5 };
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(relay.drops()['hook-connection-limit']).toBe(560);
    expect(Object.keys(relay.drops()).some((reason) => reason.includes('bad'))).toBe(false);
    await vi.advanceTimersByTimeAsync(RELAY_DROPS_REPORT_DELAY_MS);
    expect(dropReports.some((report) => (report as Record<string, number>)['hook-connection-limit'] !== undefined)).toBe(true);
  });

  it('invalidates itself and stops the hook when forwarding fails with "Extension context invalidated"', async () => {
    fakeBrowser.runtime.connect = (() => {
      throw new Error('Extension context invalidated.');
    }) as unknown as typeof fakeBrowser.runtime.connect;
    const relay = await startRelay();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(hookStops).toBe(1);
    expect(relay.drops()['forward-failed']).toBe(1);
  });

  it('counts a failed forward and keeps forwarding later reports', async () => {
    let failures = 2; // the post and its retry on a fresh port
    portPost = (batch) => {
      if (failures-- > 0) throw new Error('Could not establish connection. Receiving end does not exist.');
      forwarded.push(batch);
    };
    const relay = await startRelay();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(0);
    reportsToHook([stats('p1', 1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(forwarded).toEqual([[stats('p1', 1)]]);
    expect(relay.drops()['forward-failed']).toBe(1);
    expect(ctx.isValid).toBe(true);
  });
});

describe('createRelay timers', () => {
  /** `abort` listeners on the context's signal: added minus removed. */
  function countAbortListeners(context: ContentScriptContext): () => number {
    let count = 0;
    const add = context.signal.addEventListener.bind(context.signal);
    const remove = context.signal.removeEventListener.bind(context.signal);
    vi.spyOn(context.signal, 'addEventListener').mockImplementation((type, listener, options) => {
      if (type === 'abort') count++;
      add(type, listener, options);
    });
    vi.spyOn(context.signal, 'removeEventListener').mockImplementation((type, listener, options) => {
      if (type === 'abort') count--;
      remove(type, listener, options);
    });
    return () => count;
  }

  it('keeps the same number of listeners on its context however many batches it forwards', async () => {
    ctx = new ContentScriptContext('relay');
    const abortListeners = countAbortListeners(ctx);
    createRelay(ctx);
    await vi.advanceTimersByTimeAsync(0);
    for (let seq = 0; seq < 10; seq++) {
      reportsToHook([stats('p1', seq)]);
      await vi.advanceTimersByTimeAsync(250);
    }
    const afterWarmUp = abortListeners();
    for (let seq = 10; seq < 1_010; seq++) {
      reportsToHook([stats('p1', seq)]);
      await vi.advanceTimersByTimeAsync(250);
    }
    expect(forwarded).toHaveLength(1_010);
    // Each flush used to leave one `abort` listener behind (WXT's ctx.setTimeout): +1,000 here.
    expect(abortListeners()).toBe(afterWarmUp);
  });

});
