/**
 * Runs a delivery pass one at a time: a `flush()` during a pass gets exactly one more pass after
 * it, never a second one in parallel; `wakeAt()` schedules a later pass (the earliest asked-for
 * time wins), e.g. when the circuit breaker allows its probe. Shared by the Pushgateway and the
 * remote-write delivery.
 */
export function createFlushRunner(options: { runOnce: () => Promise<void>; now: () => number }) {
  let running: Promise<void> | undefined;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let disposed = false;

  function flush(): Promise<void> {
    if (disposed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await options.runOnce();
        } while (again && !disposed);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  return {
    flush,
    /** Schedules one pass at `at` (Unix ms), keeping an earlier one if already set. */
    wakeAt(at: number): void {
      if (disposed || at >= timerAt) return;
      if (timer !== undefined) clearTimeout(timer);
      timerAt = at;
      timer = setTimeout(
        () => {
          timer = undefined;
          timerAt = Number.POSITIVE_INFINITY;
          void flush();
        },
        Math.max(0, at - options.now()),
      );
    },
    dispose(): void {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
