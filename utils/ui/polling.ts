import { onScopeDispose } from 'vue';

export interface Poller {
  /** Runs the task now (if not already running) and restarts the wait. */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Runs `task` now and then `intervalMs` after each run ends, never two at once, until stopped
 * or until the owning component is unmounted. Errors in `task` are its own to report; the loop
 * goes on.
 */
export function createPoller(task: () => Promise<void>, intervalMs: number): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  function schedule(): void {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void refresh(), intervalMs);
  }

  function refresh(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) return running;
    running = task()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        schedule();
      });
    return running;
  }

  function stop(): void {
    stopped = true;
    clearTimeout(timer);
  }

  void refresh();
  return { refresh, stop };
}

/** createPoller tied to the current component: it stops when the component goes away. */
export function usePoller(task: () => Promise<void>, intervalMs: number): Poller {
  const poller = createPoller(task, intervalMs);
  onScopeDispose(() => poller.stop());
  return poller;
}
