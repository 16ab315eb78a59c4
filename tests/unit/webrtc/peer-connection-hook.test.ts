// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPeerConnectionHook, installPeerConnectionHook, type PeerConnectionHook } from '@/utils/webrtc/peer-connection-hook';
import { openRelayChannel, type HookMessage, type RelayChannel } from '@/utils/webrtc/page-channel';
import type { HookConfig } from '@/utils/messaging/hook-config';
import type { HookReport } from '@/utils/webrtc/report-schema';
import { installFakePeerConnection, type FakePeerConnectionClass } from './fake-peer-connection';

const CONFIG: HookConfig = {
  enabled: true,
  intervalMs: 1_000,
  statsTypes: ['inbound-rtp', 'outbound-rtp'],
  failedConnectionTimeoutMs: 5_000,
  maxStatsPerReport: 300,
  maxConnections: 20,
};

/**
 * A fresh page for each test: an event target with the built-ins the hook takes (timers go
 * through the faked globals) and its own Function.prototype, so hooks of earlier tests and the
 * toString mask stay out of the way.
 */
function newPage(): Window {
  const page = new EventTarget() as unknown as Record<string, unknown>;
  Object.assign(page, {
    EventTarget,
    Event,
    CustomEvent,
    JSON,
    Date,
    Math,
    Function: { prototype: { toString: Function.prototype.toString } },
    setInterval: (handler: () => void, ms: number) => setInterval(handler, ms),
    clearInterval: (id: number) => clearInterval(id),
    setTimeout: (handler: () => void, ms: number) => setTimeout(handler, ms),
  });
  installFakePeerConnection(page);
  return page as unknown as Window;
}

/** Plays the relay's side of the page channel (acknowledging every batch unless told not to). */
function createTestRelay(options: { ack?: boolean } = {}) {
  const batches: HookReport[][] = [];
  const pongs: Record<string, number>[] = [];
  let ack = options.ack ?? true;
  const channel: RelayChannel = openRelayChannel(win, {
    onMessage(message: HookMessage) {
      if (message.t === 'hookReports') {
        batches.push(message.d as HookReport[]);
        if (ack) channel.send({ t: 'ack', id: message.id });
      } else if (message.t === 'pong') pongs.push(message.d);
    },
    onRejected: () => {},
  });
  return {
    channel,
    batches,
    pongs,
    acking: (on: boolean) => (ack = on),
    reports: () => batches.flat(),
    stats: () => batches.flat().filter((report) => report.event === 'stats'),
    ended: () => batches.flat().filter((report) => report.event === 'ended'),
    configure: (config: unknown) => channel.send({ t: 'hookConfig', d: config }),
    stop: () => channel.send({ t: 'hookStop' }),
  };
}

let win: Window;
let relay: ReturnType<typeof createTestRelay>;
let hook: PeerConnectionHook;

/** A fresh page with a hook, then a relay (the order of content scripts varies: both are tested). */
function start(): void {
  win = newPage();
  const created = createPeerConnectionHook(win);
  if (!created) throw new Error('hook not installed');
  hook = created;
  relay = createTestRelay();
}

function pageConstructor(): FakePeerConnectionClass {
  return (win as unknown as { RTCPeerConnection: FakePeerConnectionClass }).RTCPeerConnection;
}

beforeEach(() => {
  vi.useFakeTimers();
  start();
});

afterEach(() => {
  relay.channel.close();
  vi.useRealTimers();
});

describe('createPeerConnectionHook', () => {
  it('captures a connection created before the config and polls it once enabled', async () => {
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(pc.statsCalls).toBe(0);

    relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(1);
    expect(relay.stats()).toHaveLength(1);
    expect(relay.stats()[0]).toMatchObject({ event: 'stats', seq: 0, state: 'new' });
  });

  it('polls every connection once per interval, in one batch per tick', async () => {
    relay.configure(CONFIG);
    const first = new (pageConstructor())();
    const second = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(3_000);
    expect([first.statsCalls, second.statsCalls]).toEqual([3, 3]);
    expect(relay.batches).toHaveLength(3);
    expect(relay.batches.every((batch) => batch.length === 2)).toBe(true);
    const ids = new Set(relay.stats().map((report) => report.pcId));
    expect(ids.size).toBe(2);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(64);
  });

  it('numbers the reports of each connection in sequence', async () => {
    relay.configure(CONFIG);
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(relay.stats().map((report) => report.seq)).toEqual([0, 1, 2]);
  });

  it('forwards only the configured stats types', async () => {
    relay.configure({ ...CONFIG, statsTypes: ['outbound-rtp'] });
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const types = relay.stats().flatMap((report) => (report.event === 'stats' ? report.stats.map((s) => s.type) : []));
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['outbound-rtp']));
  });

  it('applies a new interval without a reload', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    relay.configure({ ...CONFIG, intervalMs: 5_000 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(pc.statsCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pc.statsCalls).toBe(2);
  });

  it('stops polling when capture is disabled', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    relay.configure({ ...CONFIG, enabled: false });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pc.statsCalls).toBe(1);
  });

  it('pairs with a relay that started first, when its hello arrives', () => {
    win = newPage();
    relay = createTestRelay();
    expect(relay.channel.paired()).toBe(false);
    hook = createPeerConnectionHook(win) as PeerConnectionHook;
    expect(relay.channel.paired()).toBe(true);
    expect(hook.paired()).toBe(true);
  });

  it('pairs with a relay that started after it, in the relay’s first offer', () => {
    expect(relay.channel.paired()).toBe(true);
    expect(hook.paired()).toBe(true);
  });

  it('takes only the first offer: a later one (a page’s) is ignored', async () => {
    const intruder = createTestRelay();
    expect(intruder.channel.paired()).toBe(false);
    intruder.configure({ ...CONFIG, enabled: false });
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(1);
    expect(intruder.reports()).toEqual([]);
    intruder.channel.close();
  });

  it('ends a connection on close() and polls it no more', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    pc.close();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(pc.statsCalls).toBe(1);
    expect(relay.ended()).toEqual([{ event: 'ended', pcId: relay.stats()[0]?.pcId, seq: 1, reason: 'closed' }]);
    expect(hook.trackedCount()).toBe(0);
  });

  it('ends a connection found closed at poll time', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    pc.state = 'closed';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(relay.ended()).toMatchObject([{ reason: 'closed' }]);
    expect(pc.statsCalls).toBe(1);
  });

  it('sends no ended for a connection that was never reported', async () => {
    const pc = new (pageConstructor())();
    pc.close();
    relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(relay.reports()).toEqual([]);
    expect(hook.trackedCount()).toBe(0);
  });

  it.each(['failed', 'disconnected'] as const)('ends a connection stuck %s past the timeout', async (state) => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    pc.state = state;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.ended()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(relay.ended()).toMatchObject([{ reason: 'failed-timeout' }]);
    const calls = pc.statsCalls;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pc.statsCalls).toBe(calls);
  });

  it('keeps a connection that recovers from disconnected before the timeout', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    pc.state = 'disconnected';
    await vi.advanceTimersByTimeAsync(4_000);
    pc.state = 'connected';
    await vi.advanceTimersByTimeAsync(1_000);
    pc.state = 'disconnected';
    await vi.advanceTimersByTimeAsync(4_000);
    expect(relay.ended()).toEqual([]);
    expect(relay.stats().at(-1)).toMatchObject({ state: 'disconnected' });
  });

  it('ends every connection on pagehide and stops polling', async () => {
    relay.configure(CONFIG);
    const first = new (pageConstructor())();
    const second = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    win.dispatchEvent(new Event('pagehide'));
    // Synchronously, inside the pagehide dispatch: the document may be gone after it.
    expect(relay.ended()).toHaveLength(2);
    expect(relay.ended().every((report) => report.event === 'ended' && report.reason === 'pagehide')).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect([first.statsCalls, second.statsCalls]).toEqual([1, 1]);
  });

  it('counts a failing getStats() and keeps reporting the other connections', async () => {
    relay.configure(CONFIG);
    const broken = new (pageConstructor())();
    broken.statsImpl = () => Promise.reject(new DOMException('gone', 'InvalidStateError'));
    const healthy = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(hook.drops()['get-stats-failed']).toBe(2);
    expect(relay.stats()).toHaveLength(2);
    expect(healthy.statsCalls).toBe(2);
    // The page's own call still sees its own error, untouched.
    await expect(broken.getStats()).rejects.toThrow('gone');
  });

  it('does not poll a connection again while its getStats() is still pending', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    pc.statsImpl = () => new Promise(() => {});
    await vi.advanceTimersByTimeAsync(3_000);
    expect(pc.statsCalls).toBe(1);
    expect(hook.drops()['stats-pending']).toBe(2);
  });

  it('answers a ping with its drop counts, so that they reach health through the relay', async () => {
    relay.configure({ ...CONFIG, maxConnections: 1 });
    [1, 2, 3].map(() => new (pageConstructor())());
    await vi.advanceTimersByTimeAsync(1_000);
    relay.channel.send({ t: 'ping' });
    expect(relay.pongs.at(-1)).toMatchObject({ 'connection-limit': 2 });
  });

  it('under the cap, polls a connected call before connections that never connected, and those before idle ones', async () => {
    relay.configure({ ...CONFIG, maxConnections: 2 });
    const idle = Array.from({ length: 5 }, () => new (pageConstructor())());
    const connecting = new (pageConstructor())();
    connecting.state = 'connecting';
    const call = new (pageConstructor())();
    call.state = 'connected';
    await vi.advanceTimersByTimeAsync(1_000);
    expect([call.statsCalls, connecting.statsCalls, ...idle.map((pc) => pc.statsCalls)]).toEqual([1, 1, 0, 0, 0, 0, 0]);
    // Once seen connected it stays first, even while it is disconnected for a moment.
    call.state = 'disconnected';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(call.statsCalls).toBe(2);
    expect(hook.drops()['connection-limit']).toBe(10);
  });

  it('polls first a connection whose stats carried RTP streams, even while it does not read connected', async () => {
    relay.configure({ ...CONFIG, maxConnections: 2 });
    const idle = new (pageConstructor())();
    idle.statsImpl = () => Promise.resolve(new Map());
    const media = new (pageConstructor())(); // the recorded fixture: RTP streams
    await vi.advanceTimersByTimeAsync(1_000);
    relay.configure({ ...CONFIG, maxConnections: 1 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect([idle.statsCalls, media.statsCalls]).toEqual([1, 3]);
  });

  it('polls at most maxConnections connections and counts the rest', async () => {
    relay.configure({ ...CONFIG, maxConnections: 2 });
    const pcs = [1, 2, 3].map(() => new (pageConstructor())());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pcs.map((pc) => pc.statsCalls)).toEqual([1, 1, 0]);
    expect(hook.drops()['connection-limit']).toBe(1);
    pcs[0]?.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pcs.map((pc) => pc.statsCalls)).toEqual([1, 2, 1]);
  });

  it('caps stats objects per report at maxStatsPerReport', async () => {
    relay.configure({ ...CONFIG, maxStatsPerReport: 1 });
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const [report] = relay.stats();
    expect(report?.event === 'stats' && report.stats).toHaveLength(1);
    expect(hook.drops()['stats-over-cap']).toBeGreaterThan(0);
  });

  it('on hookStop ends all, polls no more and leaves RTCPeerConnection working', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const [stats] = relay.stats();
    relay.stop();
    expect(relay.ended()).toEqual([{ event: 'ended', pcId: stats?.pcId, seq: 1, reason: 'stopped' }]);

    const later = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(10_000);
    expect([pc.statsCalls, later.statsCalls]).toEqual([1, 0]);
    expect(later).toBeInstanceOf(pageConstructor());
    await expect(later.getStats()).resolves.toBeInstanceOf(Map);
    later.close();
    expect(later.connectionState).toBe('closed');
  });

  it('after hookStop, resumes under new ids when a new relay sends a config', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const oldId = relay.stats()[0]?.pcId;
    relay.stop();
    relay.channel.close();

    relay = createTestRelay();
    relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(2);
    expect(relay.stats()).toMatchObject([{ seq: 0 }]);
    expect(relay.stats()[0]?.pcId).not.toBe(oldId);
  });

  it.each([
    ['an interval below bounds', { ...CONFIG, intervalMs: 1 }],
    ['no fields', {}],
    ['null', null],
  ])('ignores a forged hookConfig with %s', async (_name, forged) => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    relay.configure(forged);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(hook.config()).toEqual(CONFIG);
    expect(pc.statsCalls).toBe(1);
    expect(hook.drops()['bad-config']).toBe(1);
  });

  it('ignores events forged on the public channel names and on unknown ones', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    // A page cannot name the paired channel: a stop on the offer or hello name does nothing.
    for (const type of ['webrtc-stats-exporter/page/offer', 'webrtc-stats-exporter/page/hello', '@webext-core/messaging/custom-events']) {
      win.dispatchEvent(new CustomEvent(type, { detail: JSON.stringify({ t: 'hookStop' }) }));
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(1);
  });

  it('stops calling getStats() when its batches go unanswered, and resumes on a new config', async () => {
    relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    relay.acking(false); // the relay stops answering without a hookStop
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pc.statsCalls).toBe(3);
    expect(hook.drops()['relay-unanswered']).toBe(7);

    const sent = relay.stats().length;
    relay.acking(true);
    relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(4);
    expect(relay.stats()).toHaveLength(sent + 1);
  });

  it('keeps no timer while there is nothing to poll', async () => {
    relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
    const pc = new (pageConstructor())();
    expect(vi.getTimerCount()).toBe(1);
    pc.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('createPeerConnectionHook with a report interval', () => {
  const BATCHED: HookConfig = { ...CONFIG, intervalMs: 250, reportIntervalMs: 1_000 };
  const seqs = (batch: HookReport[]) => batch.map((report) => `${report.event}:${report.seq}`);

  it('sends a new connection’s first snapshot at once, then every snapshot of the next second together, in order', async () => {
    relay.configure(BATCHED);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(250);
    expect(relay.batches.map(seqs)).toEqual([['stats:0']]);
    await vi.advanceTimersByTimeAsync(750);
    expect(relay.batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(250);
    expect(relay.batches.map(seqs)).toEqual([['stats:0'], ['stats:1', 'stats:2', 'stats:3', 'stats:4']]);
    expect(pc.statsCalls).toBe(5);
    // How long each waited, so that the background dates it when it was taken.
    expect(relay.batches[1]!.map((report) => (report.event === 'stats' ? report.heldMs : null))).toEqual([750, 500, 250, undefined]);
  });

  it('sends the held snapshots, then `ended`, at the first poll after close()', async () => {
    relay.configure(BATCHED);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(750);
    pc.close();
    await vi.advanceTimersByTimeAsync(250);
    expect(relay.batches.map(seqs)).toEqual([['stats:0'], ['stats:1', 'stats:2', 'ended:3']]);
  });

  it('sends the held snapshots and `ended` inside the pagehide dispatch', async () => {
    relay.configure(BATCHED);
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(500);
    win.dispatchEvent(new Event('pagehide'));
    expect(relay.batches.map(seqs)).toEqual([['stats:0'], ['stats:1', 'ended:2']]);
  });

  it('drops the held snapshots, counted, when capture is switched off, so none revives a group', async () => {
    relay.configure(BATCHED);
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(750);
    relay.configure({ ...BATCHED, enabled: false });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.batches.map(seqs)).toEqual([['stats:0']]);
    expect(hook.drops()['held-on-disable']).toBe(2);
  });

  it('sends at once when the held snapshots fill a batch, split at the batch cap', async () => {
    relay.configure({ ...BATCHED, maxConnections: 30 });
    for (let i = 0; i < 30; i++) new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(750);
    expect(relay.batches.map((batch) => batch.length)).toEqual([30, 50, 10]);
  });
});

describe('installPeerConnectionHook', () => {
  it('does nothing and throws nothing on a page without RTCPeerConnection', () => {
    const bare = newPage();
    delete (bare as unknown as Record<string, unknown>).RTCPeerConnection;
    expect(() => installPeerConnectionHook(bare)).not.toThrow();
  });

  it('never throws into the page even when the window is unusable', () => {
    expect(() => installPeerConnectionHook({} as Window)).not.toThrow();
  });
});
