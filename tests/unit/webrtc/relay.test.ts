// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { ContentScriptContext } from 'wxt/utils/content-script-context';
import { onMessage, sendMessage } from '@/utils/messaging/extension-protocol';
import { createPageMessenger } from '@/utils/messaging/page-protocol';
import type { HookConfig } from '@/utils/messaging/hook-config';
import type { HookReport } from '@/utils/webrtc/report-schema';
import { createRelay, RELAY_DROPS_REPORT_DELAY_MS, RELAY_FLUSH_DELAY_MS, RELAY_MAX_BATCHES_PER_SECOND, type Relay } from '@/utils/webrtc/relay';

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
const listen = vi.mocked(onMessage);

let ctx: ContentScriptContext;
let hookSide: ReturnType<typeof createPageMessenger>;
let hookConfigs: HookConfig[];
let hookStops: number;
let backgroundConfig: () => Promise<unknown>;
let forwarded: unknown[];
let dropReports: unknown[];
let removeConfigListener: ReturnType<typeof vi.fn>;
let configChanged: ((message: { data: unknown }) => void) | undefined;

/** Plays the page hook's side of the channel. */
function startHookSide(): void {
  hookSide = createPageMessenger();
  hookSide.onMessage('hookConfig', ({ data }) => {
    hookConfigs.push(data);
  });
  hookSide.onMessage('hookStop', () => {
    hookStops++;
  });
}

function reportsToHook(batch: unknown): void {
  hookSide.sendMessage('hookReports', batch as HookReport[]).catch(() => {});
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
  forwarded = [];
  dropReports = [];
  backgroundConfig = () => Promise.resolve(CONFIG);
  removeConfigListener = vi.fn();
  configChanged = undefined;
  send.mockImplementation(((type: string, data: unknown) => {
    if (type === 'getHookConfig') return backgroundConfig();
    if (type === 'relayDrops') {
      dropReports.push(data);
      return Promise.resolve();
    }
    forwarded.push(data);
    return Promise.resolve({ accepted: 1, rejected: 0 });
  }) as unknown as typeof sendMessage);
  listen.mockImplementation(((type: string, handler: (message: { data: unknown }) => void) => {
    if (type === 'hookConfigChanged') configChanged = handler;
    return removeConfigListener;
  }) as unknown as typeof onMessage);
  startHookSide();
});

afterEach(async () => {
  if (ctx.isValid) ctx.notifyInvalidated();
  await vi.advanceTimersByTimeAsync(0);
  hookSide.removeAllListeners();
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

  it('answers hookReady with the config, and with null before the background answered', async () => {
    let answer: (config: HookConfig) => void = () => {};
    backgroundConfig = () => new Promise((resolve) => (answer = resolve));
    await startRelay();
    await expect(hookSide.sendMessage('hookReady')).resolves.toBeNull();
    answer(CONFIG);
    await vi.advanceTimersByTimeAsync(0);
    await expect(hookSide.sendMessage('hookReady')).resolves.toEqual(CONFIG);
  });

  it('bounds the config pushes a page can make it wait on by forging hookReady in a frame without hook', async () => {
    hookSide.removeAllListeners(); // no hook in this frame: nobody answers hookConfig
    let pushes = 0;
    const countPush = (event: Event) => {
      if ((event as CustomEvent).detail?.message?.type === 'hookConfig') pushes++;
    };
    window.addEventListener('@webext-core/messaging/custom-events', countPush);
    const relay = await startRelay();
    const page = createPageMessenger();
    const forgeReady = async () => {
      for (let i = 0; i < 100; i++) page.sendMessage('hookReady').catch(() => {});
      await vi.advanceTimersByTimeAsync(0);
    };
    await forgeReady();
    const afterFirstBurst = pushes;
    await forgeReady();
    window.removeEventListener('@webext-core/messaging/custom-events', countPush);
    page.removeAllListeners();
    // Without the bound, each forged hookReady would leave one more push waiting: 201 in all.
    expect(afterFirstBurst).toBeLessThanOrEqual(1 + 17 * 4);
    expect(pushes).toBe(afterFirstBurst);
    expect(relay.drops()['config-push-unanswered']).toBeGreaterThan(100);
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

  it('forwards a valid batch to the background after the flush delay', async () => {
    await startRelay();
    reportsToHook([stats('p1', 0), stats('p2', 0)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS - 1);
    expect(forwarded).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
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

  it('keeps only the newest stats of a connection within one flush', async () => {
    await startRelay();
    reportsToHook([stats('p1', 0)]);
    reportsToHook([stats('p1', 1), stats('p2', 0)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    expect(forwarded).toEqual([[stats('p1', 1), stats('p2', 0)]]);
  });

  it('has one message to the background in flight at a time and coalesces meanwhile', async () => {
    let release: () => void = () => {};
    send.mockImplementation(((type: string, data: unknown) => {
      if (type === 'getHookConfig') return Promise.resolve(CONFIG);
      forwarded.push(data);
      return new Promise<unknown>((resolve) => (release = () => resolve({ accepted: 1, rejected: 0 })));
    }) as unknown as typeof sendMessage);
    await startRelay();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    reportsToHook([stats('p1', 1)]);
    reportsToHook([stats('p1', 2)]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(forwarded).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    expect(forwarded).toEqual([[stats('p1', 0)], [stats('p1', 2)]]);
  });

  it('drops batches beyond the per-second rate and counts them', async () => {
    const relay = await startRelay();
    for (let i = 0; i < RELAY_MAX_BATCHES_PER_SECOND + 5; i++) reportsToHook([stats(`p${i}`, 0)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    expect((forwarded[0] as unknown[]).length).toBe(RELAY_MAX_BATCHES_PER_SECOND);
    expect(relay.drops()['relay-rate-limited']).toBe(5);
  });

  it('tells the hook to stop and stops listening when its context is invalidated', async () => {
    await startRelay();
    ctx.notifyInvalidated();
    await vi.advanceTimersByTimeAsync(0);
    expect(hookStops).toBe(1);
    expect(removeConfigListener).toHaveBeenCalled();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(forwarded).toEqual([]);
  });

  it('invalidates itself and stops the hook when forwarding fails with "Extension context invalidated"', async () => {
    send.mockImplementation(((type: string) => {
      if (type === 'getHookConfig') return Promise.resolve(CONFIG);
      return Promise.reject(new Error('Extension context invalidated.'));
    }) as unknown as typeof sendMessage);
    const relay = await startRelay();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    expect(ctx.isInvalid).toBe(true);
    expect(hookStops).toBe(1);
    expect(relay.drops()['forward-failed']).toBe(1);
  });

  it('counts a failed forward and keeps forwarding later reports', async () => {
    let fail = true;
    send.mockImplementation(((type: string, data: unknown) => {
      if (type === 'getHookConfig') return Promise.resolve(CONFIG);
      if (fail) {
        fail = false;
        return Promise.reject(new Error('Could not establish connection. Receiving end does not exist.'));
      }
      forwarded.push(data);
      return Promise.resolve({ accepted: 1, rejected: 0 });
    }) as unknown as typeof sendMessage);
    const relay = await startRelay();
    reportsToHook([stats('p1', 0)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    reportsToHook([stats('p1', 1)]);
    await vi.advanceTimersByTimeAsync(RELAY_FLUSH_DELAY_MS);
    expect(forwarded).toEqual([[stats('p1', 1)]]);
    expect(relay.drops()['forward-failed']).toBe(1);
    expect(ctx.isValid).toBe(true);
  });
});
