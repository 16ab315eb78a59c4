import { beforeEach, afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createLifecycle, type BrowserEventLike } from '../../../utils/lifecycle/lifecycle-manager';

/** An EventTarget that counts its listeners, so a leak shows as a number. */
class CountingTarget extends EventTarget {
  listeners = 0;
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>) {
    this.listeners++;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>) {
    this.listeners--;
    super.removeEventListener(...args);
  }
}

function countingEvent<H>(): BrowserEventLike<H> & { handlers: H[] } {
  const handlers: H[] = [];
  return {
    handlers,
    addListener: (h) => void handlers.push(h),
    removeListener: (h) => {
      const i = handlers.indexOf(h);
      if (i >= 0) handlers.splice(i, 1);
    },
  };
}

describe('lifecycle manager', () => {
  beforeEach(() => {
    fakeBrowser.reset();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers DOM events to a listener until it is disposed', () => {
    const lifecycle = createLifecycle();
    const target = new CountingTarget();
    const handler = vi.fn();
    const dispose = lifecycle.listen(target, 'ping', handler);
    target.dispatchEvent(new Event('ping'));
    dispose();
    target.dispatchEvent(new Event('ping'));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(target.listeners).toBe(0);
    expect(lifecycle.registeredCount()).toBe(0);
  });

  it('removes a capture listener with its capture flag', () => {
    const lifecycle = createLifecycle();
    const target = new EventTarget();
    const handler = vi.fn();
    lifecycle.listen(target, 'ping', handler, { capture: true });
    lifecycle.dispose();
    target.dispatchEvent(new Event('ping'));
    expect(handler).not.toHaveBeenCalled();
  });

  it('leaves nothing registered after dispose: DOM listeners, browser events, timers, alarms, cleanups', async () => {
    const lifecycle = createLifecycle();
    const target = new CountingTarget();
    const event = countingEvent<() => void>();
    const cleanup = vi.fn();
    const tick = vi.fn();
    lifecycle.listen(target, 'a', () => {});
    lifecycle.listen(target, 'b', () => {});
    lifecycle.onEvent(event, () => {});
    lifecycle.onEvent(fakeBrowser.tabs.onRemoved, () => {});
    lifecycle.setInterval(tick, 1_000);
    lifecycle.setTimeout(tick, 5_000);
    lifecycle.alarm('housekeeping', { periodInMinutes: 1 }, () => {});
    lifecycle.add(cleanup);
    await lifecycle.settled();
    expect(lifecycle.registeredCount()).toBe(8);
    expect(target.listeners).toBe(2);
    expect(await fakeBrowser.alarms.get('housekeeping')).toBeDefined();

    lifecycle.dispose();
    await lifecycle.settled();

    expect(lifecycle.registeredCount()).toBe(0);
    expect(target.listeners).toBe(0);
    expect(event.handlers).toHaveLength(0);
    expect(fakeBrowser.tabs.onRemoved.hasListeners()).toBe(false);
    expect(fakeBrowser.alarms.onAlarm.hasListeners()).toBe(false);
    expect(await fakeBrowser.alarms.get('housekeeping')).toBeUndefined();
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(tick).not.toHaveBeenCalled();
    expect(lifecycle.signal.aborted).toBe(true);
  });

  it('runs cleanups newest first and each only once, even when disposed twice', () => {
    const lifecycle = createLifecycle();
    const order: string[] = [];
    lifecycle.add(() => order.push('first'));
    lifecycle.add(() => order.push('second'));
    lifecycle.dispose();
    lifecycle.dispose();
    expect(order).toEqual(['second', 'first']);
  });

  it('keeps disposing when one cleanup throws, and reports the error', () => {
    const onError = vi.fn();
    const lifecycle = createLifecycle({ onError });
    const later = vi.fn();
    lifecycle.add(later);
    lifecycle.add(() => {
      throw new Error('boom');
    });
    lifecycle.dispose();
    expect(later).toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith(expect.any(Error), 'dispose');
  });

  it.each([
    ['listen', (l: ReturnType<typeof createLifecycle>, t: CountingTarget) => l.listen(t, 'x', () => {})],
    ['onEvent', (l: ReturnType<typeof createLifecycle>) => l.onEvent(fakeBrowser.tabs.onRemoved, () => {})],
    ['setInterval', (l: ReturnType<typeof createLifecycle>) => l.setInterval(() => {}, 10)],
    ['setTimeout', (l: ReturnType<typeof createLifecycle>) => l.setTimeout(() => {}, 10)],
    ['alarm', (l: ReturnType<typeof createLifecycle>) => l.alarm('a', { periodInMinutes: 1 }, () => {})],
  ])('ignores %s after dispose', async (_name, registerOne) => {
    const lifecycle = createLifecycle();
    const target = new CountingTarget();
    lifecycle.dispose();
    const dispose = registerOne(lifecycle, target);
    await lifecycle.settled();
    expect(typeof dispose).toBe('function');
    expect(lifecycle.registeredCount()).toBe(0);
    expect(target.listeners).toBe(0);
    expect(fakeBrowser.tabs.onRemoved.hasListeners()).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(await fakeBrowser.alarms.getAll()).toEqual([]);
  });

  it('runs a cleanup added after dispose at once, since nobody else will', () => {
    const lifecycle = createLifecycle();
    lifecycle.dispose();
    const cleanup = vi.fn();
    lifecycle.add(cleanup);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('frees the slot of a timeout once it has fired', () => {
    const lifecycle = createLifecycle();
    const handler = vi.fn();
    lifecycle.setTimeout(handler, 100);
    expect(lifecycle.registeredCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(lifecycle.registeredCount()).toBe(0);
  });

  it('repeats an interval until disposed', () => {
    const lifecycle = createLifecycle();
    const handler = vi.fn();
    const dispose = lifecycle.setInterval(handler, 100);
    vi.advanceTimersByTime(350);
    dispose();
    vi.advanceTimersByTime(1_000);
    expect(handler).toHaveBeenCalledTimes(3);
  });

  it('reports errors of timer handlers, sync or async, instead of throwing them', async () => {
    const onError = vi.fn();
    const lifecycle = createLifecycle({ onError });
    lifecycle.setTimeout(() => {
      throw new Error('sync');
    }, 10);
    lifecycle.setTimeout(() => Promise.reject(new Error('async')), 10);
    await vi.advanceTimersByTimeAsync(10);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError.mock.calls.map(([error]) => (error as Error).message).sort()).toEqual(['async', 'sync']);
  });

  it('calls an alarm handler only for its own alarm name', async () => {
    const lifecycle = createLifecycle();
    const handler = vi.fn();
    lifecycle.alarm('integrity', { periodInMinutes: 1 }, handler);
    await lifecycle.settled();
    await fakeBrowser.alarms.onAlarm.trigger({ name: 'other', scheduledTime: 0, persistAcrossSessions: false });
    await fakeBrowser.alarms.onAlarm.trigger({ name: 'integrity', scheduledTime: 0, persistAcrossSessions: false });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ name: 'integrity' }));
  });

  it('keeps an existing alarm with the same period, so a worker restart does not postpone it', async () => {
    await fakeBrowser.alarms.create('integrity', { periodInMinutes: 1, when: 12_345 });
    const lifecycle = createLifecycle();
    lifecycle.alarm('integrity', { periodInMinutes: 1 }, () => {});
    await lifecycle.settled();
    expect((await fakeBrowser.alarms.get('integrity'))?.scheduledTime).toBe(12_345);
  });

  it('re-creates an existing alarm whose period changed', async () => {
    await fakeBrowser.alarms.create('integrity', { periodInMinutes: 5, when: 12_345 });
    const lifecycle = createLifecycle();
    lifecycle.alarm('integrity', { periodInMinutes: 1 }, () => {});
    await lifecycle.settled();
    expect((await fakeBrowser.alarms.get('integrity'))?.periodInMinutes).toBe(1);
  });

  it('does not leave an alarm behind when disposed while the alarm is being created', async () => {
    const lifecycle = createLifecycle();
    lifecycle.alarm('integrity', { periodInMinutes: 1 }, () => {});
    lifecycle.dispose();
    await lifecycle.settled();
    expect(await fakeBrowser.alarms.getAll()).toEqual([]);
  });

  it('reports a failing alarm creation instead of rejecting', async () => {
    const onError = vi.fn();
    const failing = {
      ...fakeBrowser.alarms,
      get: () => Promise.reject(new Error('no alarms here')),
    };
    const lifecycle = createLifecycle({ onError, alarms: failing });
    lifecycle.alarm('integrity', { periodInMinutes: 1 }, () => {});
    await lifecycle.settled();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'no alarms here' }), 'alarm integrity create');
  });

  it('aborts its signal on dispose, so abortable work stops', () => {
    const lifecycle = createLifecycle();
    const aborted = vi.fn();
    lifecycle.signal.addEventListener('abort', aborted);
    expect(lifecycle.disposed).toBe(false);
    lifecycle.dispose();
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(lifecycle.disposed).toBe(true);
  });

  it('passes the return value of a browser event handler through', () => {
    const lifecycle = createLifecycle();
    const event = countingEvent<() => boolean>();
    lifecycle.onEvent(event, () => true);
    expect(event.handlers[0]?.()).toBe(true);
  });
});

describe('lifecycle manager without the alarms API', () => {
  it('says clearly that alarms are missing instead of failing later', () => {
    const lifecycle = createLifecycle({ alarms: undefined });
    const original = fakeBrowser.alarms;
    Object.assign(fakeBrowser, { alarms: undefined });
    try {
      expect(() => lifecycle.alarm('a', { periodInMinutes: 1 }, () => {})).toThrow(/alarms.*permission/);
    } finally {
      Object.assign(fakeBrowser, { alarms: original });
    }
    expect(lifecycle.registeredCount()).toBe(0);
  });
});
