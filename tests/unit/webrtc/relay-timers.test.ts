// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { ContentScriptContext } from 'wxt/utils/content-script-context';
import { onMessage, sendMessage } from '@/utils/messaging/extension-protocol';
import { createPageMessenger } from '@/utils/messaging/page-protocol';
import type { HookConfig } from '@/utils/messaging/hook-config';
import type { HookReport } from '@/utils/webrtc/report-schema';
import { createRelay, RELAY_FLUSH_DELAY_MS } from '@/utils/webrtc/relay';

vi.mock('@/utils/messaging/extension-protocol', () => ({ sendMessage: vi.fn(), onMessage: vi.fn() }));

const CONFIG: HookConfig = {
  enabled: true,
  intervalMs: 250,
  statsTypes: ['inbound-rtp'],
  failedConnectionTimeoutMs: 30_000,
  maxStatsPerReport: 300,
  maxConnections: 20,
};

function stats(seq: number): HookReport {
  return { event: 'stats', pcId: 'p1', seq, state: 'connected', stats: [{ id: 'IT01', type: 'inbound-rtp', timestamp: seq, packetsLost: 0 }] };
}

let ctx: ContentScriptContext;
let hookSide: ReturnType<typeof createPageMessenger>;
let forwarded: unknown[];
/** `abort` listeners on the context's signal: added minus removed. */
let abortListeners: number;

beforeEach(() => {
  fakeBrowser.reset();
  vi.spyOn(console, 'debug').mockImplementation(() => {});
  vi.useFakeTimers();
  forwarded = [];
  vi.mocked(sendMessage).mockImplementation(((type: string, data: unknown) => {
    if (type === 'getHookConfig') return Promise.resolve(CONFIG);
    if (type === 'hookReports') forwarded.push(data);
    return Promise.resolve();
  }) as unknown as typeof sendMessage);
  vi.mocked(onMessage).mockImplementation((() => () => {}) as unknown as typeof onMessage);
  hookSide = createPageMessenger();
  hookSide.onMessage('hookConfig', () => {});
  ctx = new ContentScriptContext('relay');
  abortListeners = 0;
  const add = ctx.signal.addEventListener.bind(ctx.signal);
  const remove = ctx.signal.removeEventListener.bind(ctx.signal);
  vi.spyOn(ctx.signal, 'addEventListener').mockImplementation((type, listener, options) => {
    if (type === 'abort') abortListeners++;
    add(type, listener, options);
  });
  vi.spyOn(ctx.signal, 'removeEventListener').mockImplementation((type, listener, options) => {
    if (type === 'abort') abortListeners--;
    remove(type, listener, options);
  });
});

afterEach(async () => {
  if (ctx.isValid) ctx.notifyInvalidated();
  await vi.advanceTimersByTimeAsync(0);
  hookSide.removeAllListeners();
  vi.useRealTimers();
});

/** The hook's side: one report every 250 ms, as a busy page sends them. */
async function reportEvery250Ms(count: number, firstSeq = 0): Promise<void> {
  for (let seq = firstSeq; seq < firstSeq + count; seq++) {
    hookSide.sendMessage('hookReports', [stats(seq)]).catch(() => {});
    await vi.advanceTimersByTimeAsync(250);
  }
}

describe('createRelay timers', () => {
  it('keeps the same number of listeners on its context however many batches it forwards', async () => {
    createRelay(ctx);
    await reportEvery250Ms(10);
    const afterWarmUp = abortListeners;
    await reportEvery250Ms(1_000, 10);
    expect(forwarded).toHaveLength(1_010);
    // Each flush used to leave one `abort` listener behind (WXT's ctx.setTimeout): +1,000 here.
    expect(abortListeners).toBe(afterWarmUp);
  });

  it('forwards nothing scheduled before its context was invalidated', async () => {
    createRelay(ctx);
    await vi.advanceTimersByTimeAsync(0);
    hookSide.sendMessage('hookReports', [stats(0)]).catch(() => {});
    await vi.advanceTimersByTimeAsync(0);
    ctx.notifyInvalidated();
    await vi.advanceTimersByTimeAsync(10 * RELAY_FLUSH_DELAY_MS);
    expect(forwarded).toEqual([]);
  });
});
