/**
 * Writes durable state at most once per `delayMs`, and at once on `flush()`. The first change
 * after a write starts the timer and later changes do not push it back, so a steady stream of
 * changes is still written every `delayMs` (a plain debounce would never fire under load).
 * Writes never overlap; a failed write leaves the state dirty for the next attempt.
 */
export interface ThrottledSaver {
  markDirty(): void;
  /** Writes now if anything is unsaved; resolves when the state on disk is current. */
  flush(): Promise<void>;
  /** The last write error, or null once a write succeeds again. */
  lastError(): string | null;
  /** Cancels a pending timer (for tests and shutdown). */
  dispose(): void;
}

/** Creates a saver around `save`, which must write the whole current state. */
export function createThrottledSaver(options: { delayMs: number; save: () => Promise<void> }): ThrottledSaver {
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let error: string | null = null;

  async function writeOnce(): Promise<void> {
    dirty = false;
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

  function schedule(): void {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain().then(() => {
        // Changes made while writing, or a failed write, get their own slot.
        if (dirty && error === null) schedule();
      });
    }, options.delayMs);
  }

  return {
    markDirty() {
      dirty = true;
      schedule();
    },
    async flush() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      await drain();
    },
    lastError: () => error,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
