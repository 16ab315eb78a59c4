import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayResult } from '@/utils/export/pushgateway-client';
import {
  BreakerOpenError,
  createNetworkCircuitBreaker,
  jitteredExponential,
  NETWORK_BREAKER_STORAGE_KEY,
} from '@/utils/resilience/network-circuit-breaker';
import { reliabilitySchema, type ReliabilitySettings } from '@/utils/settings/settings-schema';
import { createMapArea } from './helpers';

const OK: GatewayResult = { kind: 'ok', status: 200 };
const DOWN: GatewayResult = { kind: 'http', status: 503, message: 'Service Unavailable' };

describe('network circuit breaker', () => {
  let area: ReturnType<typeof createMapArea>;
  let settings: ReliabilitySettings;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
    area = createMapArea();
    settings = reliabilitySchema.parse({ breakerFailureThreshold: 3, halfOpenInitialDelayMs: 1_000, halfOpenMaxDelayMs: 8_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (random = () => 0) => createNetworkCircuitBreaker({ area, settings, random });

  /** Runs one request through the breaker; reports whether the request was actually made. */
  async function attempt(breaker: ReturnType<typeof make>, result: GatewayResult) {
    const request = vi.fn(async () => result);
    try {
      const got = await breaker.execute(request);
      return { sent: request.mock.calls.length, got };
    } catch (error) {
      return { sent: request.mock.calls.length, error };
    }
  }

  it('opens after the threshold of consecutive outages and then sends nothing', async () => {
    const breaker = make();
    for (let i = 0; i < 2; i += 1) expect((await attempt(breaker, DOWN)).got).toEqual(DOWN);
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures()).toBe(2);
    await attempt(breaker, DOWN);
    expect(breaker.state()).toBe('open');
    expect(breaker.since()).toBe(Date.now());
    const blocked = await attempt(breaker, OK);
    expect(blocked.sent).toBe(0);
    expect(blocked.error).toBeInstanceOf(BreakerOpenError);
  });

  it.each([
    ['timeout', { kind: 'timeout', message: 'No answer' }],
    ['network error', { kind: 'network', message: 'Failed to fetch' }],
    ['500', { kind: 'http', status: 500, message: 'boom' }],
    ['429', { kind: 'http', status: 429, message: 'slow down' }],
  ] as Array<[string, GatewayResult]>)('counts a %s as an outage', async (_name, result) => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) await attempt(breaker, result);
    expect(breaker.state()).toBe('open');
  });

  it.each([400, 401, 403, 404])('never opens on %i answers, which mean the gateway is up', async (status) => {
    const breaker = make();
    const refused: GatewayResult = { kind: 'http', status, message: 'refused' };
    for (let i = 0; i < 10; i += 1) expect((await attempt(breaker, refused)).got).toEqual(refused);
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures()).toBe(0);
  });

  it('resets the consecutive count on a success', async () => {
    const breaker = make();
    await attempt(breaker, DOWN);
    await attempt(breaker, DOWN);
    await attempt(breaker, OK);
    await attempt(breaker, DOWN);
    await attempt(breaker, DOWN);
    expect(breaker.state()).toBe('closed');
  });

  it('lets one probe through after the half-open delay and closes when it succeeds', async () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) await attempt(breaker, DOWN);
    expect(breaker.retryAt()).toBe(Date.now() + 1_000);
    vi.advanceTimersByTime(999);
    expect((await attempt(breaker, OK)).sent).toBe(0);
    vi.advanceTimersByTime(1);
    const probe = await attempt(breaker, OK);
    expect(probe).toEqual({ sent: 1, got: OK });
    expect(breaker.state()).toBe('closed');
    expect(breaker.retryAt()).toBeNull();
  });

  it('makes concurrent callers wait for the probe instead of sending alongside it', async () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) await attempt(breaker, DOWN);
    vi.advanceTimersByTime(1_000);
    let answerProbe!: (result: GatewayResult) => void;
    const probeRequest = vi.fn(() => new Promise<GatewayResult>((resolve) => (answerProbe = resolve)));
    const others = [vi.fn(async () => OK), vi.fn(async () => OK)];
    const probe = breaker.execute(probeRequest);
    const waiting = others.map((request) => breaker.execute(request).catch((error: unknown) => error));
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state()).toBe('half-open');
    expect(others.map((request) => request.mock.calls.length)).toEqual([0, 0]);
    answerProbe(DOWN);
    expect(await probe).toEqual(DOWN);
    const settled = await Promise.all(waiting);
    expect(settled.every((value) => value instanceof BreakerOpenError)).toBe(true);
    expect(others.map((request) => request.mock.calls.length)).toEqual([0, 0]);
  });

  it('reopens with a longer delay when the probe fails, up to the maximum', async () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) await attempt(breaker, DOWN);
    const delays: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const delay = breaker.retryAt()! - Date.now();
      delays.push(delay);
      vi.advanceTimersByTime(delay - 1);
      expect((await attempt(breaker, DOWN)).sent).toBe(0);
      vi.advanceTimersByTime(1);
      expect((await attempt(breaker, DOWN)).sent).toBe(1);
      expect(breaker.state()).toBe('open');
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('adds at most 20% jitter and never waits less than the configured delay', () => {
    const options = { initialDelay: 1_000, maxDelay: 30_000, exponent: 2, generator: jitteredExponential(() => 0) };
    expect(jitteredExponential(() => 0)(undefined, options)).toEqual([1_000, 1]);
    expect(jitteredExponential(() => 0.999)(undefined, options)[0]).toBe(1_200);
    expect(jitteredExponential(() => 0.5)(2, options)).toEqual([4_400, 3]);
    expect(jitteredExponential(() => 0.999)(10, options)[0]).toBe(30_000);
  });

  it('keeps an open breaker open across a restart instead of sending a storm', async () => {
    const first = make();
    for (let i = 0; i < 3; i += 1) await attempt(first, DOWN);
    const openedSince = first.since();
    await first.flush();
    expect(area.data.get(NETWORK_BREAKER_STORAGE_KEY)).toBeDefined();

    vi.advanceTimersByTime(500);
    const second = make();
    await second.restore();
    expect(second.state()).toBe('open');
    expect(second.since()).toBe(openedSince);
    expect((await attempt(second, OK)).sent).toBe(0);
    vi.advanceTimersByTime(500);
    expect(await attempt(second, OK)).toEqual({ sent: 1, got: OK });
    expect(second.state()).toBe('closed');
  });

  it('restores the consecutive failure count of a closed breaker', async () => {
    const first = make();
    await attempt(first, DOWN);
    await attempt(first, DOWN);
    await first.flush();
    const second = make();
    await second.restore();
    expect(second.failures()).toBe(2);
    await attempt(second, DOWN);
    expect(second.state()).toBe('open');
  });

  it('starts closed when the stored state is corrupt', async () => {
    area.data.set(NETWORK_BREAKER_STORAGE_KEY, { format: 1, since: 'yesterday' });
    const breaker = make();
    await breaker.restore();
    expect(breaker.state()).toBe('closed');
    expect((await attempt(breaker, OK)).sent).toBe(1);
  });

  it('keeps its open state when the thresholds change and uses the new threshold once closed', async () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) await attempt(breaker, DOWN);
    breaker.updateSettings({ ...settings, breakerFailureThreshold: 1, halfOpenInitialDelayMs: 5_000 });
    expect(breaker.state()).toBe('open');
    expect((await attempt(breaker, OK)).sent).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect((await attempt(breaker, OK)).sent).toBe(1);
    expect(breaker.state()).toBe('closed');
    await attempt(breaker, DOWN);
    expect(breaker.state()).toBe('open');
  });

  it('tells listeners about each state change', async () => {
    const breaker = make();
    const seen: string[] = [];
    breaker.onStateChange((state) => seen.push(state));
    for (let i = 0; i < 3; i += 1) await attempt(breaker, DOWN);
    vi.advanceTimersByTime(1_000);
    await attempt(breaker, OK);
    expect(seen).toEqual(['open', 'half-open', 'closed']);
  });
});
