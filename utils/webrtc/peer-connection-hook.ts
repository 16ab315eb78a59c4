import type { HookConfig } from '../messaging/hook-config';
import { createPageMessenger } from '../messaging/page-protocol';
import { createConnectionPoller } from './connection-poller';
import { wrapPeerConnectionConstructors } from './constructor-wrapper';
import { readHookConfig } from './hook-config-guard';
import { HOOK_LIMITS } from './hook-limits';

/** A running page hook, as tests and diagnostics see it. */
export interface PeerConnectionHook {
  /** Drops and rejections so far, by reason. */
  drops(): Record<string, number>;
  /** Connections tracked now. */
  trackedCount(): number;
  /** The config in force, or null before one arrived. */
  config(): HookConfig | null;
}

/**
 * Where a hook leaves its `retire` function in the page, so a hook injected later into the same
 * frame (after an extension update) can retire it: otherwise both would answer the relay and
 * report the same connections twice. The page can see and call it, but it can stop its own
 * capture anyway (hookStop, or by replacing RTCPeerConnection).
 */
export const HOOK_MARKER = Symbol.for('webrtc-stats-exporter/page-hook');

/**
 * Installs the page hook in `win` (MAIN world, document_start): wraps RTCPeerConnection at
 * once, so connections made before the config arrives are captured, then asks the relay for
 * the config (hookReady, retried with backoff; the relay also pushes it) and polls once enabled.
 * Acts only on hookConfig (shape-checked: the page can forge it) and hookStop (suspends until
 * the next config); ends everything on pagehide; retires an older hook of the same frame.
 * Returns null when the page has no RTCPeerConnection.
 */
export function createPeerConnectionHook(win: Window): PeerConnectionHook | null {
  // Captured now: a page script could replace the timer functions later.
  const setIntervalFn = win.setInterval.bind(win);
  const clearIntervalFn = win.clearInterval.bind(win);
  const setTimeoutFn = win.setTimeout.bind(win);
  const messenger = createPageMessenger();
  let config: HookConfig | null = null;
  let answered = false;
  let retired = false;
  let badConfigs = 0;
  retirePreviousHook(win);

  // The poller needs the wrapper's native API; the wrapper calls the poller only later, when
  // the page creates a connection, by which time it exists.
  const native = wrapPeerConnectionConstructors(win, {
    onCreate: (pc) => activePoller.track(pc),
    onClose: (pc) => activePoller.closed(pc),
  });
  if (!native) return null;
  const activePoller = createConnectionPoller({
    native,
    send: (batch) => messenger.sendMessage('hookReports', batch),
    setInterval: (handler, ms) => setIntervalFn(handler, ms),
    clearInterval: (id) => clearIntervalFn(id as number),
    now: () => Date.now(),
  });

  function applyConfig(value: unknown): void {
    const next = readHookConfig(value);
    if (!next) {
      badConfigs++;
      return;
    }
    answered = true;
    config = next;
    activePoller.configure(next);
  }

  function onPageHide(): void {
    activePoller.endAll('pagehide');
  }

  messenger.onMessage('hookConfig', ({ data }) => applyConfig(data));
  messenger.onMessage('hookStop', () => {
    config = null;
    activePoller.suspend();
  });
  win.addEventListener('pagehide', onPageHide);
  markHook(win, () => {
    if (retired) return;
    retired = true;
    config = null;
    activePoller.retire();
    win.removeEventListener('pagehide', onPageHide);
    // Listen no more: the newer hook answers the relay from now on.
    messenger.removeAllListeners();
  });

  function askForConfig(attempt: number): void {
    if (answered || retired) return;
    messenger.sendMessage('hookReady').then(
      (answer) => {
        // null: the relay is there but has no config yet; it pushes one when it has.
        if (answer === null) answered = true;
        else if (!retired) applyConfig(answer);
      },
      () => {
        // A forged or empty answer: the retries below still run.
      },
    );
    if (attempt + 1 < HOOK_LIMITS.readyAttempts) {
      setTimeoutFn(() => askForConfig(attempt + 1), HOOK_LIMITS.readyFirstDelayMs * 2 ** attempt);
    }
  }
  askForConfig(0);

  return {
    drops: () => ({ ...activePoller.drops(), ...(badConfigs > 0 ? { 'bad-config': badConfigs } : {}) }),
    trackedCount: () => activePoller.size(),
    config: () => config,
  };
}

function retirePreviousHook(win: Window): void {
  try {
    const previous = (win as unknown as Record<symbol, unknown>)[HOOK_MARKER];
    if (typeof previous === 'function') previous();
  } catch {
    // A page that tampered with the marker gets two hooks at worst, not an error.
  }
}

function markHook(win: Window, retire: () => void): void {
  try {
    Object.defineProperty(win, HOOK_MARKER, { value: retire, configurable: true, enumerable: false, writable: false });
  } catch {
    // As above.
  }
}

/**
 * Entry point of the MAIN-world content script. Never throws into the page: if anything goes
 * wrong while installing, the page keeps its own RTCPeerConnection and runs as if no hook existed.
 */
export function installPeerConnectionHook(win: Window): void {
  try {
    createPeerConnectionHook(win);
  } catch {
    // Nothing to report to: the relay is reached only through the hook.
  }
}
