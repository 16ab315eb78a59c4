import { browser, type Browser } from 'wxt/browser';

/** Undoes one registration. Calling it twice, or after the owner was disposed, does nothing. */
export type Dispose = () => void;

/** A WebExtension event (`browser.tabs.onRemoved`, `browser.runtime.onMessage`, ...). */
export interface BrowserEventLike<H> {
  addListener(handler: H): void;
  removeListener(handler: H): void;
}

/** The part of `browser.alarms` the lifecycle needs; injectable for tests. */
export interface AlarmsLike {
  create(name: string, info: Browser.alarms.AlarmCreateInfo): Promise<void>;
  get(name: string): Promise<Browser.alarms.Alarm | undefined>;
  clear(name: string): Promise<boolean>;
  onAlarm: BrowserEventLike<(alarm: Browser.alarms.Alarm) => void>;
}

export interface LifecycleOptions {
  /** Where alarms live. Default `browser.alarms` (resolved lazily, so pages without the API can still use the rest). */
  alarms?: AlarmsLike;
  /** Gets errors thrown by timer and alarm handlers and by alarm creation. Default: `console.error`. */
  onError?: (error: unknown, where: string) => void;
}

/** The owner of every listener, timer and alarm of one context; see {@link createLifecycle}. */
export interface Lifecycle {
  /** Aborted when the owner is disposed: pass it to `fetch` and other abortable work. */
  readonly signal: AbortSignal;
  readonly disposed: boolean;
  /** Adds a DOM-style listener; removed (with the same capture flag) on dispose. */
  listen<E extends Event = Event>(
    target: EventTarget,
    type: string,
    handler: (event: E) => void,
    options?: { capture?: boolean; passive?: boolean },
  ): Dispose;
  /** Adds a WebExtension event listener. The handler is registered as is, so return values (e.g. of `onMessage`) pass through. */
  onEvent<H>(event: BrowserEventLike<H>, handler: H): Dispose;
  setInterval(handler: () => unknown, ms: number): Dispose;
  setTimeout(handler: () => unknown, ms: number): Dispose;
  /**
   * Creates (or keeps) a named alarm and calls `handler` when it fires. The listener is added
   * synchronously, so a service worker woken by the alarm gets the event; an existing alarm with the
   * same period is kept, because re-creating it on every worker start would postpone it forever.
   */
  alarm(name: string, info: Browser.alarms.AlarmCreateInfo, handler: (alarm: Browser.alarms.Alarm) => unknown): Dispose;
  /** Adds any cleanup. After dispose the cleanup runs at once: the resource exists and nobody else will free it. */
  add(dispose: Dispose): Dispose;
  /** Resolves when pending asynchronous registrations (alarm creation) have settled. */
  settled(): Promise<void>;
  /** Removes every listener, clears every timer and alarm, aborts `signal`. Idempotent. */
  dispose(): void;
  /** Live registrations, for tests and health. */
  registeredCount(): number;
}

const noop: Dispose = () => {};

/**
 * Creates the lifecycle manager of the seed plan (3.1): one owner per context (background,
 * options page, popup) through which every listener, timer and alarm is registered, so that
 * disposing it leaves nothing behind. Registering after dispose is a no-op.
 */
export function createLifecycle(options: LifecycleOptions = {}): Lifecycle {
  const controller = new AbortController();
  const registrations = new Set<Dispose>();
  const pending = new Set<Promise<void>>();
  const onError = options.onError ?? ((error: unknown, where: string) => console.error(`[lifecycle] ${where}`, error));
  const alarms = (): AlarmsLike => options.alarms ?? (browser.alarms as unknown as AlarmsLike);

  function register(undo: () => void): Dispose {
    let done = false;
    const dispose: Dispose = () => {
      if (done) return;
      done = true;
      registrations.delete(dispose);
      undo();
    };
    registrations.add(dispose);
    return dispose;
  }

  // Handlers of timers and alarms run outside any caller's stack: an error there would be unhandled.
  function guarded(handler: () => unknown, where: string): () => void {
    return () => {
      try {
        const result = handler();
        if (result instanceof Promise) result.catch((error: unknown) => onError(error, where));
      } catch (error) {
        onError(error, where);
      }
    };
  }

  function track(work: Promise<void>): void {
    const settled = work.catch(() => {}).finally(() => pending.delete(settled));
    pending.add(settled);
  }

  const lifecycle: Lifecycle = {
    signal: controller.signal,
    get disposed() {
      return controller.signal.aborted;
    },

    listen(target, type, handler, listenOptions = {}) {
      if (controller.signal.aborted) return noop;
      const listener = handler as EventListener;
      target.addEventListener(type, listener, listenOptions);
      return register(() => target.removeEventListener(type, listener, { capture: listenOptions.capture ?? false }));
    },

    onEvent(event, handler) {
      if (controller.signal.aborted) return noop;
      event.addListener(handler);
      return register(() => event.removeListener(handler));
    },

    setInterval(handler, ms) {
      if (controller.signal.aborted) return noop;
      const id = globalThis.setInterval(guarded(handler, 'interval'), ms);
      return register(() => globalThis.clearInterval(id));
    },

    setTimeout(handler, ms) {
      if (controller.signal.aborted) return noop;
      const run = guarded(handler, 'timeout');
      // A fired timeout frees its slot, so short-lived timeouts do not pile up until dispose.
      const id = globalThis.setTimeout(() => {
        dispose();
        run();
      }, ms);
      const dispose = register(() => globalThis.clearTimeout(id));
      return dispose;
    },

    alarm(name, info, handler) {
      if (controller.signal.aborted) return noop;
      const api = alarms();
      if (!api?.onAlarm) throw new Error('lifecycle: browser.alarms is not available here (is the "alarms" permission declared?)');
      const listener = (alarm: Browser.alarms.Alarm) => {
        if (alarm.name === name) guarded(() => handler(alarm), `alarm ${name}`)();
      };
      api.onAlarm.addListener(listener);
      let removed = false;
      track(
        (async () => {
          const existing = await api.get(name);
          if (removed) return;
          if (!existing || existing.periodInMinutes !== info.periodInMinutes) await api.create(name, info);
          // Disposed while creating: the alarm must not outlive its owner.
          if (removed) await api.clear(name);
        })().catch((error: unknown) => onError(error, `alarm ${name} create`)),
      );
      return register(() => {
        removed = true;
        api.onAlarm.removeListener(listener);
        track(
          api
            .clear(name)
            .then(() => {})
            .catch((error: unknown) => onError(error, `alarm ${name} clear`)),
        );
      });
    },

    add(dispose) {
      if (controller.signal.aborted) {
        try {
          dispose();
        } catch (error) {
          onError(error, 'cleanup');
        }
        return noop;
      }
      return register(dispose);
    },

    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },

    dispose() {
      if (controller.signal.aborted) return;
      controller.abort();
      // Newest first, like a stack of `finally` blocks: later registrations may depend on earlier ones.
      for (const dispose of [...registrations].reverse()) {
        try {
          dispose();
        } catch (error) {
          onError(error, 'dispose');
        }
      }
      registrations.clear();
    },

    registeredCount() {
      return registrations.size;
    },
  };
  return lifecycle;
}
