// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HOOK_MARKER,
  createPeerConnectionHook,
  installPeerConnectionHook,
  type PeerConnectionHook,
} from '@/utils/webrtc/peer-connection-hook';
import { createPageMessenger } from '@/utils/messaging/page-protocol';
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

/** Plays the relay's side of the page channel. */
function createTestRelay() {
  const messenger = createPageMessenger();
  const batches: HookReport[][] = [];
  let readyAnswer: HookConfig | null = null;
  const readyCalls = vi.fn();
  messenger.onMessage('hookReports', ({ data }) => {
    batches.push(data);
  });
  messenger.onMessage('hookReady', () => {
    readyCalls();
    return readyAnswer;
  });
  return {
    messenger,
    batches,
    readyCalls,
    answerReadyWith(config: HookConfig | null) {
      readyAnswer = config;
    },
    reports: () => batches.flat(),
    stats: () => batches.flat().filter((report) => report.event === 'stats'),
    ended: () => batches.flat().filter((report) => report.event === 'ended'),
    configure: (config: HookConfig) => messenger.sendMessage('hookConfig', config),
  };
}

let relay: ReturnType<typeof createTestRelay>;
let hook: PeerConnectionHook;

/** A fresh page: new fake class, new relay (answering hookReady with `readyAnswer`), new hook. */
async function start(readyAnswer: HookConfig | null = null): Promise<void> {
  relay?.messenger.removeAllListeners();
  // Retire the previous test's hook now, with nobody listening, so its last batch is not seen here.
  (window as unknown as Record<symbol, (() => void) | undefined>)[HOOK_MARKER]?.();
  await vi.advanceTimersByTimeAsync(0);
  installFakePeerConnection(window);
  relay = createTestRelay();
  relay.answerReadyWith(readyAnswer);
  const created = createPeerConnectionHook(window);
  if (!created) throw new Error('hook not installed');
  hook = created;
}

function pageConstructor(): FakePeerConnectionClass {
  return (window as unknown as { RTCPeerConnection: FakePeerConnectionClass }).RTCPeerConnection;
}

beforeEach(async () => {
  vi.useFakeTimers();
  await start();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createPeerConnectionHook', () => {
  it('captures a connection created before the config and polls it once enabled', async () => {
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(pc.statsCalls).toBe(0);

    await relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(1);
    expect(relay.stats()).toHaveLength(1);
    expect(relay.stats()[0]).toMatchObject({ event: 'stats', seq: 0, state: 'new' });
  });

  it('polls every connection once per interval, in one batch per tick', async () => {
    await relay.configure(CONFIG);
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
    await relay.configure(CONFIG);
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(relay.stats().map((report) => report.seq)).toEqual([0, 1, 2]);
  });

  it('forwards only the configured stats types', async () => {
    await relay.configure({ ...CONFIG, statsTypes: ['outbound-rtp'] });
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const types = relay.stats().flatMap((report) => (report.event === 'stats' ? report.stats.map((s) => s.type) : []));
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['outbound-rtp']));
  });

  it('applies a new interval without a reload', async () => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    await relay.configure({ ...CONFIG, intervalMs: 5_000 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(pc.statsCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pc.statsCalls).toBe(2);
  });

  it('stops polling when capture is disabled', async () => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    await relay.configure({ ...CONFIG, enabled: false });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pc.statsCalls).toBe(1);
  });

  it('takes its config from the answer to hookReady when the relay started first', async () => {
    await start(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(relay.readyCalls).toHaveBeenCalled();
    expect(hook.config()).toEqual(CONFIG);
    expect(pc.statsCalls).toBe(1);
  });

  it('asks again with backoff while nobody answers hookReady, and stops asking once configured', async () => {
    relay.messenger.removeAllListeners(); // no relay yet
    hook = createPeerConnectionHook(window) as PeerConnectionHook;
    await vi.advanceTimersByTimeAsync(100);
    const late = createTestRelay();
    relay = late; // removed by the next start()
    late.answerReadyWith(CONFIG);
    await vi.advanceTimersByTimeAsync(399);
    expect(late.readyCalls).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(late.readyCalls).toHaveBeenCalledTimes(1);
    expect(hook.config()).toEqual(CONFIG);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(late.readyCalls).toHaveBeenCalledTimes(1);
  });

  it('ends a connection on close() and polls it no more', async () => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    pc.close();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(pc.statsCalls).toBe(1);
    expect(relay.ended()).toEqual([{ event: 'ended', pcId: relay.stats()[0]?.pcId, seq: 1, reason: 'closed' }]);
    expect(hook.trackedCount()).toBe(0);
  });

  it('ends a connection found closed at poll time', async () => {
    await relay.configure(CONFIG);
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
    await relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(relay.reports()).toEqual([]);
    expect(hook.trackedCount()).toBe(0);
  });

  it.each(['failed', 'disconnected'] as const)('ends a connection stuck %s past the timeout', async (state) => {
    await relay.configure(CONFIG);
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
    await relay.configure(CONFIG);
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
    await relay.configure(CONFIG);
    const first = new (pageConstructor())();
    const second = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.ended()).toHaveLength(2);
    expect(relay.ended().every((report) => report.event === 'ended' && report.reason === 'pagehide')).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect([first.statsCalls, second.statsCalls]).toEqual([1, 1]);
  });

  it('counts a failing getStats() and keeps reporting the other connections', async () => {
    await relay.configure(CONFIG);
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
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    pc.statsImpl = () => new Promise(() => {});
    await vi.advanceTimersByTimeAsync(3_000);
    expect(pc.statsCalls).toBe(1);
    expect(hook.drops()['stats-pending']).toBe(2);
  });

  it('polls at most maxConnections connections and counts the rest', async () => {
    await relay.configure({ ...CONFIG, maxConnections: 2 });
    const pcs = [1, 2, 3].map(() => new (pageConstructor())());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pcs.map((pc) => pc.statsCalls)).toEqual([1, 1, 0]);
    expect(hook.drops()['connection-limit']).toBe(1);
    pcs[0]?.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pcs.map((pc) => pc.statsCalls)).toEqual([1, 2, 1]);
  });

  it('caps stats objects per report at maxStatsPerReport', async () => {
    await relay.configure({ ...CONFIG, maxStatsPerReport: 1 });
    new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const [report] = relay.stats();
    expect(report?.event === 'stats' && report.stats).toHaveLength(1);
    expect(hook.drops()['stats-over-cap']).toBeGreaterThan(0);
  });

  it('on hookStop ends all, polls no more and leaves RTCPeerConnection working', async () => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const [stats] = relay.stats();
    await relay.messenger.sendMessage('hookStop');
    await vi.advanceTimersByTimeAsync(0);
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
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const oldId = relay.stats()[0]?.pcId;
    await relay.messenger.sendMessage('hookStop');
    relay.messenger.removeAllListeners();

    relay = createTestRelay();
    await relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(2);
    expect(relay.stats()).toMatchObject([{ seq: 0 }]);
    expect(relay.stats()[0]?.pcId).not.toBe(oldId);
  });

  it('is retired by a newer hook in the same frame: it ends its connections and answers no more', async () => {
    await relay.configure(CONFIG);
    const old = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(1_000);
    const oldHook = hook;
    const newer = createPeerConnectionHook(window);
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.ended()).toMatchObject([{ reason: 'stopped' }]);

    await relay.configure(CONFIG);
    const fresh = new (pageConstructor())();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(old.statsCalls).toBe(1);
    expect(fresh.statsCalls).toBe(3);
    expect(new Set(relay.stats().slice(1).map((report) => report.pcId)).size).toBe(1);
    expect(oldHook.trackedCount()).toBe(0);
    expect(newer?.trackedCount()).toBe(1);
  });

  it.each([
    ['an interval below bounds', { ...CONFIG, intervalMs: 1 }],
    ['no fields', {}],
    ['null', null],
  ])('ignores a forged hookConfig with %s', async (_name, forged) => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    await relay.messenger.sendMessage('hookConfig', forged as HookConfig);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(hook.config()).toEqual(CONFIG);
    expect(pc.statsCalls).toBe(1);
    expect(hook.drops()['bad-config']).toBe(1);
  });

  it('ignores page events that are not hookConfig or hookStop', async () => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    // The hook does not act on reports sent to it, nor on events of another namespace.
    relay.messenger.sendMessage('hookReports', []).catch(() => {});
    window.dispatchEvent(new CustomEvent('@webext-core/messaging/custom-events', { detail: { namespace: 'other', message: { type: 'hookStop', timestamp: 1 } } }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(1);
  });

  it('stops calling getStats() when its batches go unanswered, and resumes on a new config', async () => {
    await relay.configure(CONFIG);
    const pc = new (pageConstructor())();
    relay.messenger.removeAllListeners(); // the relay is gone without a hookStop
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pc.statsCalls).toBe(3);
    expect(hook.drops()['relay-unanswered']).toBe(7);

    relay = createTestRelay();
    await relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pc.statsCalls).toBe(4);
    expect(relay.stats()).toHaveLength(1);
  });

  it('keeps no timer while there is nothing to poll', async () => {
    await relay.configure(CONFIG);
    await vi.advanceTimersByTimeAsync(1_000); // lets the hookReady retry timer run out
    expect(vi.getTimerCount()).toBe(0);
    const pc = new (pageConstructor())();
    expect(vi.getTimerCount()).toBe(1);
    pc.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('installPeerConnectionHook', () => {
  it('does nothing and throws nothing on a page without RTCPeerConnection', () => {
    const bare = { setInterval, clearInterval, setTimeout, addEventListener: vi.fn() } as unknown as Window;
    expect(() => installPeerConnectionHook(bare)).not.toThrow();
  });

  it('never throws into the page even when the window is unusable', () => {
    expect(() => installPeerConnectionHook({} as Window)).not.toThrow();
  });
});
