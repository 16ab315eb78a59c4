/**
 * Writes durable state at most once per `delayMs`, and at once on `flush()`. The first change
 * after a write starts the timer and later changes do not push it back, so a steady stream of
 * changes is still written every `delayMs` (a plain debounce would never fire under load).
 * A change can ask for a shorter or longer wait than `delayMs` (state that is at risk is
 * written sooner than state that is about to be superseded anyway); the earliest asked-for
 * time wins. Writes never overlap; a failed write leaves the state dirty for the next attempt.
 */
export interface ThrottledSaver {
  /** Marks the state unsaved; it is written within `delayMs` (default: the saver's `delayMs`). */
  markDirty(delayMs?: number): void;
  /** Writes now if anything is unsaved; resolves when the state on disk is current. */
  flush(): Promise<void>;
  /** The last write error, or null once a write succeeds again. */
  lastError(): string | null;
  /** Cancels a pending timer (for tests and shutdown). */
  dispose(): void;
}

/** Creates a saver around `save`, which must write the whole current state. */
export function createThrottledSaver(options: {
  delayMs: number;
  save: () => Promise<void>;
  now?: () => number;
}): ThrottledSaver {
  const now = options.now ?? Date.now;
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerDue = Number.POSITIVE_INFINITY;
  /** Shortest wait asked for by changes not yet written. */
  let pendingDelay = Number.POSITIVE_INFINITY;
  let running: Promise<void> | undefined;
  let error: string | null = null;

  async function writeOnce(): Promise<void> {
    dirty = false;
    pendingDelay = Number.POSITIVE_INFINITY;
    try {
      await options.save();
      error = null;
    } catch (cause) {
      dirty = true;
      error = cause instanceof Error ? cause.message : String(cause);
    }
  }

  async function drain(): Promise<void> {
    while (running) await running;
    if (!dirty) return;
    running = writeOnce().finally(() => {
      running = undefined;
    });
    await running;
  }

  function clearTimer(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
  }

  function schedule(delayMs: number): void {
    const due = now() + delayMs;
    if (timer !== undefined && timerDue <= due) return;
    clearTimer();
    timerDue = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerDue = Number.POSITIVE_INFINITY;
      void drain().then(() => {
        // Changes made while writing, or a failed write, get their own slot.
        if (dirty && error === null) schedule(Number.isFinite(pendingDelay) ? pendingDelay : options.delayMs);
      });
    }, delayMs);
  }

  return {
    markDirty(delayMs = options.delayMs) {
      dirty = true;
      pendingDelay = Math.min(pendingDelay, delayMs);
      schedule(delayMs);
    },
    async flush() {
      clearTimer();
      await drain();
    },
    lastError: () => error,
    dispose: clearTimer,
  };
}
