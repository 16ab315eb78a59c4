import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createDurableArea, createResilientArea } from '../../../utils/storage/resilient-area';
import { createFaultyStorage } from './faulty-storage';

const fastBreaker = { maxAttempts: 2, retryInitialDelayMs: 10, retryMaxDelayMs: 20, operationTimeoutMs: 1_000 };

describe('createDurableArea', () => {
  beforeEach(() => {
    fakeBrowser.reset();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs a storage call while letting retry timers pass. */
  async function settle<T>(promise: Promise<T>): Promise<T> {
    await vi.runAllTimersAsync();
    return promise;
  }

  it('keeps working state in storage.session when the browser has it', async () => {
    const faulty = createFaultyStorage();
    const area = createDurableArea({ storage: faulty.storage });

    await area.set({ outbox: [1, 2], tracker: { a: 1 } });

    expect(area.tier()).toBe('session');
    expect(await fakeBrowser.storage.session.get(['outbox', 'tracker'])).toEqual({ outbox: [1, 2], tracker: { a: 1 } });
    expect(await area.get('outbox')).toEqual([1, 2]);
  });

  it('uses storage.local when the browser has no storage.session', async () => {
    const faulty = createFaultyStorage({ missing: ['session'] });
    const area = createDurableArea({ storage: faulty.storage });

    await area.set({ outbox: ['x'] });

    expect(area.tier()).toBe('local');
    expect(area.health().preferredTier).toBe('local');
    expect(await fakeBrowser.storage.local.get('outbox')).toEqual({ outbox: ['x'] });
  });

  it('moves to storage.local when session fails, and says so', async () => {
    const faulty = createFaultyStorage();
    const area = createDurableArea({ storage: faulty.storage, breaker: fastBreaker });
    const tiers: string[] = [];
    area.onTierChange((tier) => tiers.push(tier));
    faulty.setFault('session', 'down');

    await settle(area.set({ outbox: ['kept'] }));

    expect(area.tier()).toBe('local');
    expect(tiers).toEqual(['local']);
    expect(await fakeBrowser.storage.local.get('outbox')).toEqual({ outbox: ['kept'] });
    expect(area.health()).toMatchObject({ tier: 'local', demotions: 1, lastError: expect.stringContaining('IO error') });
  });

  it('keeps values in memory when every browser area fails', async () => {
    const faulty = createFaultyStorage();
    faulty.setFault('session', 'down');
    faulty.setFault('local', 'invalidated');
    const area = createDurableArea({ storage: faulty.storage, breaker: fastBreaker });

    await settle(area.set({ outbox: ['only here'] }));

    expect(area.tier()).toBe('memory');
    expect(await settle(area.get('outbox'))).toEqual(['only here']);
  });

  it('writes several keys one at a time, in the order given', async () => {
    const faulty = createFaultyStorage();
    const area = createDurableArea({ storage: faulty.storage });
    const order: string[] = [];
    fakeBrowser.storage.session.onChanged.addListener((changes) => order.push(...Object.keys(changes)));

    await area.set({ outbox: [1], tracker: { t: 1 }, integrityCheckedAt: 5 });

    expect(order).toEqual(['outbox', 'tracker', 'integrityCheckedAt']);
    expect(await area.getMany(['outbox', 'tracker', 'integrityCheckedAt'])).toEqual({ outbox: [1], tracker: { t: 1 }, integrityCheckedAt: 5 });
  });

  it('copies what was written during an outage back up when session answers again', async () => {
    const faulty = createFaultyStorage();
    const area = createDurableArea({ storage: faulty.storage, breaker: fastBreaker, promoteAfterMs: 10_000 });
    await area.set({ outbox: ['old'], tracker: { stale: true } });

    faulty.setFault('session', 'down');
    await settle(area.set({ outbox: ['new'] }));
    await settle(area.remove('tracker'));
    expect(area.tier()).toBe('local');

    faulty.setFault('session', 'none');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await settle(area.get('outbox'))).toEqual(['new']);

    expect(area.tier()).toBe('session');
    expect(area.health().promotions).toBe(1);
    expect(await fakeBrowser.storage.session.get(['outbox', 'tracker'])).toEqual({ outbox: ['new'] });
  });

  it('still reads a key written to session before it failed for writes', async () => {
    const faulty = createFaultyStorage();
    const area = createDurableArea({ storage: faulty.storage, breaker: fastBreaker });
    await area.set({ tracker: { live: 3 } });

    faulty.setFault('session', 'quota');
    await settle(area.set({ outbox: ['big'] }));

    expect(area.tier()).toBe('local');
    expect(await settle(area.get('tracker'))).toEqual({ live: 3 });
    expect(await settle(area.get('outbox'))).toEqual(['big']);
  });

  it('rejects a value that cannot be stored without leaving its tier', async () => {
    const faulty = createFaultyStorage();
    const area = createResilientArea({ tiers: ['local'], storage: faulty.storage });
    const circular: Record<string, unknown> = {};
    circular.self = circular;

    await expect(area.set({ bad: circular })).rejects.toMatchObject({ kind: 'invalid-data' });
    expect(area.tier()).toBe('local');
  });
});
