import type { HookConfig } from '../messaging/hook-config';
import { createConnectionPoller } from './connection-poller';
import { wrapPeerConnectionConstructors } from './constructor-wrapper';
import { readHookConfig } from './hook-config-guard';
import { openHookChannel, type HookChannel, type HookMessage, type RelayMessage } from './page-channel';
import { capturePagePrimitives } from './page-primitives';

/** A running page hook, as tests and diagnostics see it. */
export interface PeerConnectionHook {
  /** Drops and rejections so far, by reason. */
  drops(): Record<string, number>;
  /** Connections tracked now. */
  trackedCount(): number;
  /** The config in force, or null before one arrived. */
  config(): HookConfig | null;
  /** Whether a relay is paired with this hook. */
  paired(): boolean;
}

/**
 * Installs the page hook in `win` (MAIN world, document_start): takes the built-ins it needs
 * before any page script can replace them, wraps RTCPeerConnection at once (so connections made
 * before the config arrives are captured), and opens the private channel to the relay. Acts only
 * on what the paired relay sends: a config (shape-checked anyway), stop, acknowledgements and
 * heartbeat pings, which it answers with its drop counts so that they reach health. Ends every
 * connection on pagehide and sends their `ended` at once. Leaves no global binding and no marker
 * on `window`. Returns null when the page has no RTCPeerConnection.
 */
export function createPeerConnectionHook(win: Window): PeerConnectionHook | null {
  const primitives = capturePagePrimitives(win);
  let config: HookConfig | null = null;
  let badConfigs = 0;
  let nextBatchId = 1;
  // Opened last (its handshake may call back at once); until then nothing can be sent.
  const link: { channel?: HookChannel } = {};
  const send = (message: HookMessage): boolean => link.channel?.send(message) ?? false;

  // The poller needs the wrapper's native API; the wrapper calls the poller only later, when
  // the page creates a connection, by which time it exists.
  const native = wrapPeerConnectionConstructors(win, {
    onCreate: (pc) => poller.track(pc),
    onClose: (pc) => poller.closed(pc),
  });
  if (!native) return null;
  const poller = createConnectionPoller({
    native,
    send: (batch) => send({ t: 'hookReports', id: nextBatchId++, d: batch }),
    setInterval: (handler, ms) => primitives.setInterval(handler, ms),
    clearInterval: (id) => primitives.clearInterval(id as number),
    now: primitives.now,
    random: primitives.random,
  });

  function drops(): Record<string, number> {
    return { ...poller.drops(), ...(badConfigs > 0 ? { 'bad-config': badConfigs } : {}) };
  }

  function onRelayMessage(message: RelayMessage): void {
    switch (message.t) {
      case 'hookConfig': {
        const next = readHookConfig(message.d);
        if (!next) {
          badConfigs++;
          return;
        }
        config = next;
        poller.configure(next);
        return;
      }
      case 'hookStop':
        // The relay's extension context is gone: stop polling, and let the next relay pair.
        config = null;
        poller.suspend();
        link.channel?.unpair();
        return;
      case 'ack':
        poller.acknowledged();
        return;
      case 'ping':
        send({ t: 'pong', d: drops() });
        return;
    }
  }

  link.channel = openHookChannel(win, primitives, onRelayMessage);
  // Sent synchronously through the channel: the relay forwards `ended` at once, before the document goes.
  primitives.listen(win, 'pagehide', () => poller.endAll('pagehide'));

  return {
    drops,
    trackedCount: () => poller.size(),
    config: () => config,
    paired: () => link.channel?.paired() ?? false,
  };
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
