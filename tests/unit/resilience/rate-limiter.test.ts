import { describe, expect, it } from 'vitest';
import { createDropCounter } from '../../../utils/resilience/drop-counter';
import { createRateLimiter } from '../../../utils/resilience/rate-limiter';

function allowedCount(limiter: ReturnType<typeof createRateLimiter>, key: string, calls: number, at: number) {
  let allowed = 0;
  for (let i = 0; i < calls; i++) if (limiter.allow(key, at)) allowed++;
  return allowed;
}

describe('rate limiter', () => {
  it.each([
    { rate: 1, burst: undefined, calls: 5, allowed: 1 },
    { rate: 5, burst: undefined, calls: 8, allowed: 5 },
    { rate: 5, burst: 2, calls: 8, allowed: 2 },
    { rate: 50, burst: undefined, calls: 60, allowed: 50 },
  ])('allows a burst of $allowed of $calls calls at rate $rate/s, burst $burst', ({ rate, burst, calls, allowed }) => {
    const drops = createDropCounter();
    const limiter = createRateLimiter({ ratePerSecond: rate, burst, drops });
    expect(allowedCount(limiter, 'tab-1', calls, 0)).toBe(allowed);
    expect(drops.snapshot()).toEqual(calls > allowed ? { 'rate-limited': calls - allowed } : {});
  });

  it('refills at the configured rate', () => {
    const limiter = createRateLimiter({ ratePerSecond: 10, drops: createDropCounter() });
    expect(allowedCount(limiter, 'k', 10, 0)).toBe(10);
    expect(limiter.allow('k', 50)).toBe(false);
    expect(limiter.allow('k', 100)).toBe(true);
    expect(limiter.allow('k', 100)).toBe(false);
    expect(allowedCount(limiter, 'k', 20, 10_000)).toBe(10);
  });

  it('keeps keys apart', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, drops: createDropCounter() });
    expect(limiter.allow('tab-1', 0)).toBe(true);
    expect(limiter.allow('tab-1', 0)).toBe(false);
    expect(limiter.allow('tab-2', 0)).toBe(true);
  });

  it('mints no tokens when the clock steps back', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, drops: createDropCounter() });
    expect(limiter.allow('k', 10_000)).toBe(true);
    expect(limiter.allow('k', 0)).toBe(false);
    expect(limiter.allow('k', 5_000)).toBe(false);
  });

  it('follows a live rate change', () => {
    let rate = 1;
    const limiter = createRateLimiter({ ratePerSecond: () => rate, drops: createDropCounter() });
    expect(allowedCount(limiter, 'k', 5, 0)).toBe(1);
    rate = 3;
    expect(allowedCount(limiter, 'k', 5, 1_000)).toBe(3);
  });

  it('remembers at most maxKeys keys, forgetting the least recently seen', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, maxKeys: 2, drops: createDropCounter() });
    limiter.allow('a', 0);
    limiter.allow('b', 0);
    limiter.allow('a', 0);
    limiter.allow('c', 0);
    expect(limiter.keyCount()).toBe(2);
    // 'b' was forgotten, so it starts with a full bucket; 'a' was kept and stays empty.
    expect(limiter.allow('b', 0)).toBe(true);
    expect(limiter.allow('c', 0)).toBe(false);
  });

  it('forgets a key on request', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, drops: createDropCounter() });
    limiter.allow('a', 0);
    limiter.forget('a');
    expect(limiter.keyCount()).toBe(0);
    expect(limiter.allow('a', 0)).toBe(true);
  });
});
