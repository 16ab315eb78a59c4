import type { PagePrimitives } from './page-primitives';
import { MAX_BATCH_BYTES } from './report-batch-validator';

/**
 * The page hook (MAIN world) <-> relay (isolated world) channel.
 *
 * Why not public events: anything on the page can listen to and forge events whose names it
 * knows. So the relay makes a random secret and offers it once, at document_start, when no page
 * script has run and so no page listener exists; from then on both sides talk only on event
 * names that contain the secret (`<ns>/<secret>/up|down`). A page cannot listen to an event
 * name it does not know, so it can neither read nor forge the traffic. Details are JSON strings:
 * a string crosses the MAIN/isolated boundary unchanged in Chromium and Firefox (objects would
 * need structured cloning in Chromium and `cloneInto` in Firefox).
 *
 * Handshake (either script may start first):
 * - the hook listens for OFFER, then dispatches HELLO;
 * - the relay listens on its `up` name, dispatches OFFER(secret); if the hook was already there
 *   it answers `paired` synchronously, otherwise the relay waits for the hook's HELLO and offers
 *   again. Once paired the relay stops listening for HELLO, so nothing public is answered.
 * The hook takes only the first offer; it accepts a new one only after the relay stopped it
 * (extension update: a new relay takes over the running hook). That late pairing happens after
 * page scripts ran, so a page watching OFFER could learn that secret: the tracker's rules keep
 * such a page from displacing real connections, and README's security notes say so.
 */

/** Prefix of every event name of the channel. */
export const PAGE_CHANNEL_NAMESPACE = 'webrtc-stats-exporter/page';
/** Hook -> relay, public: "a hook is here, offer me a channel". */
export const HELLO_EVENT = `${PAGE_CHANNEL_NAMESPACE}/hello`;
/** Relay -> hook, public: the secret, dispatched only while unpaired. */
export const OFFER_EVENT = `${PAGE_CHANNEL_NAMESPACE}/offer`;
/**
 * Public, cancelable: a running hook cancels it. The background's takeover asks this before it
 * injects a hook into an open tab (a frame keeps the hook that knows its connections). A page can
 * ask too and learn that the extension is there, but nothing it dispatches changes what the hook does.
 */
export const PROBE_EVENT = `${PAGE_CHANNEL_NAMESPACE}/probe`;
/** Longest message detail the relay reads; longer ones are dropped unparsed (and counted `rejected-too-large`). */
export const MAX_CHANNEL_MESSAGE_CHARS = MAX_BATCH_BYTES;
/** How often the relay checks that the hook still answers (ping/pong), in ms. */
export const HEARTBEAT_MS = 5_000;

const SECRET_PATTERN = /^[0-9a-f]{32}$/;

/** Event name the hook sends on. */
export function upEvent(secret: string): string {
  return `${PAGE_CHANNEL_NAMESPACE}/${secret}/up`;
}
/** Event name the relay sends on. */
export function downEvent(secret: string): string {
  return `${PAGE_CHANNEL_NAMESPACE}/${secret}/down`;
}

/** What the hook sends. `hookReports` carries the hook's reports; its `id` is acknowledged. */
export type HookMessage =
  | { t: 'paired' }
  | { t: 'hookReports'; id: number; d: unknown }
  /** Answer to a ping, with the hook's cumulative drop counts by reason. */
  | { t: 'pong'; d: Record<string, number> };

/** What the relay sends. */
export type RelayMessage =
  | { t: 'hookConfig'; d: unknown }
  /** The extension context is gone: stop polling and accept a new relay. */
  | { t: 'hookStop' }
  | { t: 'ack'; id: number }
  | { t: 'ping' };

/** The hook's end of the channel. */
export interface HookChannel {
  /** Sends to the paired relay; false when unpaired or when sending failed. */
  send(message: HookMessage): boolean;
  paired(): boolean;
  /** Forgets the relay (it stopped us) and accepts the next offer. */
  unpair(): void;
  /** Removes every listener. */
  close(): void;
}

/**
 * Opens the hook's end on `win` with primitives taken at document_start. `onMessage` hears
 * only what the paired relay sends.
 */
export function openHookChannel(
  win: Window,
  p: PagePrimitives,
  onMessage: (message: RelayMessage) => void,
): HookChannel {
  let secret: string | null = null;

  function onDown(event: Event): void {
    const detail = p.detail(event);
    if (typeof detail !== 'string') return;
    let message: unknown;
    try {
      message = p.parse(detail);
    } catch {
      return;
    }
    if (typeof message === 'object' && message !== null) onMessage(message as RelayMessage);
  }

  function onOffer(event: Event): void {
    if (secret !== null) return;
    const detail = p.detail(event);
    if (typeof detail !== 'string' || !SECRET_PATTERN.test(detail)) return;
    secret = detail;
    p.listen(win, downEvent(secret), onDown);
    send({ t: 'paired' });
  }

  function send(message: HookMessage): boolean {
    if (secret === null) return false;
    try {
      p.dispatch(win, upEvent(secret), p.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  function unpair(): void {
    if (secret !== null) p.unlisten(win, downEvent(secret), onDown);
    secret = null;
  }

  const onProbe = (event: Event) => p.preventDefault(event);
  p.listen(win, OFFER_EVENT, onOffer);
  p.listen(win, PROBE_EVENT, onProbe);
  p.dispatch(win, HELLO_EVENT, null);

  return {
    send,
    paired: () => secret !== null,
    unpair,
    close() {
      unpair();
      p.unlisten(win, OFFER_EVENT, onOffer);
      p.unlisten(win, PROBE_EVENT, onProbe);
    },
  };
}

/** The relay's end of the channel. */
export interface RelayChannel {
  send(message: RelayMessage): void;
  paired(): boolean;
  close(): void;
}

export interface RelayChannelOptions {
  /** A message from the paired hook (parsed JSON, not validated). */
  onMessage(message: HookMessage): void;
  /** Something was refused before parsing (too long, not JSON, not an object), by reason. */
  onRejected(reason: 'too-large' | 'not-json'): void;
  /** The hook answered the offer. */
  onPaired?(): void;
  /** A HELLO arrived after the offers ran out: counted, never answered. */
  onHelloIgnored?(): void;
}

/** Offers made while unpaired: one at start, then one per HELLO, so a page spamming HELLO gets nothing. */
const MAX_OFFERS = 4;

/** Opens the relay's end on `win` (isolated world: the page cannot touch these built-ins). */
export function openRelayChannel(win: Window, options: RelayChannelOptions): RelayChannel {
  const secret = newSecret();
  let paired = false;
  let closed = false;
  let offers = 0;

  function onUp(event: Event): void {
    const detail = (event as CustomEvent<unknown>).detail;
    if (typeof detail !== 'string') return options.onRejected('not-json');
    if (detail.length > MAX_CHANNEL_MESSAGE_CHARS) return options.onRejected('too-large');
    let message: unknown;
    try {
      message = JSON.parse(detail);
    } catch {
      return options.onRejected('not-json');
    }
    if (typeof message !== 'object' || message === null) return options.onRejected('not-json');
    if ((message as HookMessage).t === 'paired') {
      if (!paired) {
        paired = true;
        win.removeEventListener(HELLO_EVENT, onHello);
        options.onPaired?.();
      }
      return;
    }
    options.onMessage(message as HookMessage);
  }

  function offer(): void {
    offers++;
    win.dispatchEvent(new CustomEvent(OFFER_EVENT, { detail: secret }));
  }

  function onHello(): void {
    if (paired || closed) return;
    if (offers >= MAX_OFFERS) {
      options.onHelloIgnored?.();
      return;
    }
    offer();
  }

  win.addEventListener(upEvent(secret), onUp);
  win.addEventListener(HELLO_EVENT, onHello);
  // A hook that started first answers synchronously, inside this dispatch.
  offer();

  return {
    send(message) {
      if (!paired || closed) return;
      win.dispatchEvent(new CustomEvent(downEvent(secret), { detail: JSON.stringify(message) }));
    },
    paired: () => paired,
    close() {
      closed = true;
      win.removeEventListener(upEvent(secret), onUp);
      win.removeEventListener(HELLO_EVENT, onHello);
    },
  };
}

function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
