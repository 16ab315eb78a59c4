import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { askBackground } from '@/utils/ui/background-client';
import { getAtPath, setAtPath } from '@/utils/ui/dotted-path';
import { formatNumberInput, parseNumberInput } from '@/utils/ui/number-input';
import { gatewayPermissionPattern, requestOriginPermission } from '@/utils/ui/origin-permission';
import { createPoller } from '@/utils/ui/polling';
import { reliabilityFields } from '@/utils/ui/reliability-fields';
import { reliabilitySchema, STATS_TYPES } from '@/utils/settings/settings-schema';
import { STATS_TYPE_DESCRIPTIONS } from '@/utils/ui/stats-type-descriptions';
import { tabIdFromQuery } from '@/utils/ui/ui-backend';
import { lastPushOutcome } from '@/utils/ui/push-outcome';

describe('gatewayPermissionPattern', () => {
  it.each([
    ['https://pg.example.com:9091/some/path', 'https://pg.example.com/*'],
    ['http://127.0.0.1:9091', 'http://127.0.0.1/*'],
    ['  https://pg.example.com  ', 'https://pg.example.com/*'],
    ['', undefined],
    ['ftp://pg.example.com', undefined],
    ['not a url', undefined],
  ])('turns %j into %j', (url, pattern) => {
    expect(gatewayPermissionPattern(url)).toBe(pattern);
  });
});

describe('lastPushOutcome', () => {
  const error = (at: number) => ({ at, kind: 'network' as const, message: 'refused' });
  it.each([
    ['no push yet', { lastAttemptAt: null, lastSuccessAt: null, lastError: null }, 'none'],
    ['a success after the attempt', { lastAttemptAt: 10, lastSuccessAt: 12, lastError: error(5) }, 'succeeded'],
    ['an error after the attempt', { lastAttemptAt: 10, lastSuccessAt: 8, lastError: error(11) }, 'failed'],
    ['a push still on the wire after earlier successes', { lastAttemptAt: 20, lastSuccessAt: 12, lastError: null }, 'sending'],
    ['a push still on the wire after an earlier error', { lastAttemptAt: 20, lastSuccessAt: null, lastError: error(15) }, 'sending'],
    ['the newer of a success and an error in the same flush', { lastAttemptAt: 10, lastSuccessAt: 11, lastError: error(12) }, 'failed'],
  ])('says %s is %j', (_, delivery, outcome) => {
    expect(lastPushOutcome(delivery)).toBe(outcome);
  });
});

describe('tabIdFromQuery', () => {
  it.each([
    ['?tabId=42', 42],
    ['?x=1&tabId=7', 7],
    ['', undefined],
    ['?tabId=', undefined],
    ['?tabId=-3', undefined],
    ['?tabId=4.5', undefined],
    ['?tabId=abc', undefined],
  ])('reads %j as %j', (search, tabId) => {
    expect(tabIdFromQuery(search)).toBe(tabId);
  });
});

describe('requestOriginPermission', () => {
  it('asks for exactly the given origins and passes the answer on', async () => {
    const request = vi.fn().mockResolvedValue(true);
    await expect(requestOriginPermission({ request }, ['https://a/*'])).resolves.toBe(true);
    expect(request).toHaveBeenCalledWith({ origins: ['https://a/*'] });
  });

  it('reads a throwing or rejecting browser as refused', async () => {
    const throwing = { request: () => { throw new Error('bad pattern'); } };
    await expect(requestOriginPermission(throwing, ['x'])).resolves.toBe(false);
    await expect(requestOriginPermission({ request: () => Promise.reject(new Error('no')) }, ['x'])).resolves.toBe(false);
  });

  it('does not ask for nothing', async () => {
    const request = vi.fn();
    await expect(requestOriginPermission({ request }, [])).resolves.toBe(true);
    expect(request).not.toHaveBeenCalled();
  });
});

describe('askBackground', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes a valid answer through', async () => {
    await expect(askBackground(() => Promise.resolve({ n: 1 }), z.object({ n: z.number() }))).resolves.toEqual({
      ok: true,
      value: { n: 1 },
    });
  });

  it('says the background is not reachable when the call fails', async () => {
    const reply = await askBackground(
      () => Promise.reject(new Error('Could not establish connection. Receiving end does not exist.')),
      z.unknown(),
    );
    expect(reply).toEqual({
      ok: false,
      error: 'Background not reachable: Could not establish connection. Receiving end does not exist.',
    });
  });

  it('gives up after the timeout', async () => {
    const pending = askBackground(() => new Promise(() => undefined), z.unknown(), 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(pending).resolves.toEqual({ ok: false, error: 'Background not reachable: no answer within 1 s' });
  });

  it('refuses an answer of the wrong shape', async () => {
    const reply = await askBackground(() => Promise.resolve({ n: 'x' }), z.object({ n: z.number() }));
    expect(reply.ok).toBe(false);
  });

  it('turns a synchronous throw into a reply', async () => {
    const reply = await askBackground(() => { throw new Error('boom'); }, z.unknown());
    expect(reply).toEqual({ ok: false, error: 'Background not reachable: boom' });
  });
});

describe('createPoller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at once, then each interval after a run ends, until stopped', async () => {
    const task = vi.fn().mockResolvedValue(undefined);
    const poller = createPoller(task, 2_000);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(task).toHaveBeenCalledTimes(2);
    poller.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('never runs two at once and survives a failing task', async () => {
    let release: () => void = () => undefined;
    const task = vi.fn(() => new Promise<void>((resolve) => { release = resolve; }));
    const poller = createPoller(task, 1_000);
    void poller.refresh();
    expect(task).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(task).toHaveBeenCalledTimes(2);
    poller.stop();

    const failing = vi.fn().mockRejectedValue(new Error('x'));
    const p2 = createPoller(failing, 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(failing).toHaveBeenCalledTimes(2);
    p2.stop();
  });
});

describe('number inputs', () => {
  it.each([
    ['', 1, Number.NaN],
    ['abc', 1, Number.NaN],
    ['12', 1, 12],
    ['1.1', 1000, 1100],
    ['0.25', 1000, 250],
  ])('reads %j at scale %s as %s', (text, scale, value) => {
    expect(parseNumberInput(text, scale)).toBe(value);
  });

  it('shows NaN as blank and scales back', () => {
    expect(formatNumberInput(Number.NaN)).toBe('');
    expect(formatNumberInput(2500, 1000)).toBe('2.5');
  });
});

describe('dotted paths', () => {
  it('reads and writes nested values', () => {
    const root: Record<string, unknown> = { a: { b: 1 } };
    expect(getAtPath(root, 'a.b')).toBe(1);
    expect(getAtPath(root, 'a.c.d')).toBeUndefined();
    setAtPath(root, 'x.y', 2);
    expect(root).toEqual({ a: { b: 1 }, x: { y: 2 } });
  });
});

describe('reliabilityFields', () => {
  it('labels every reliability threshold with its default and bounds', () => {
    const fields = reliabilityFields();
    expect(fields.map((f) => f.key)).toEqual(Object.keys(reliabilitySchema.shape));
    const breaker = fields.find((f) => f.key === 'breakerFailureThreshold');
    expect(breaker).toMatchObject({ defaultValue: 5, min: 1, max: 100 });
    for (const field of fields) expect(field.label.length).toBeGreaterThan(3);
  });
});

describe('STATS_TYPE_DESCRIPTIONS', () => {
  it('describes every stats type in one line', () => {
    for (const type of STATS_TYPES) expect(STATS_TYPE_DESCRIPTIONS[type]).toMatch(/^[^\n]{10,100}$/);
  });
});
