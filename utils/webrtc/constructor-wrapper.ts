import { maskNativeSource, type NativeSourceMask } from './native-source';

/** What the wrapper reports about connections the page creates and closes. */
export interface PeerConnectionObserver {
  onCreate(pc: RTCPeerConnection): void;
  onClose(pc: RTCPeerConnection): void;
}

/** The page's untouched methods, captured before any page script could replace them. */
export interface NativePeerConnectionApi {
  getStats(pc: RTCPeerConnection): Promise<unknown>;
  /** The connection's state, from the native getter (iceConnectionState where connectionState is missing). */
  readState(pc: RTCPeerConnection): string | undefined;
}

const CONSTRUCTOR_NAMES = ['RTCPeerConnection', 'webkitRTCPeerConnection'] as const;

type PeerConnectionConstructor = typeof RTCPeerConnection;

/**
 * Replaces `RTCPeerConnection` (and `webkitRTCPeerConnection` where present) on `win` with a
 * Proxy whose construct trap reports each new connection. A Proxy keeps everything the page
 * can observe: `name`, `length`, `prototype`, static members such as `generateCertificate`,
 * `instanceof`, subclassing (`new.target`); `prototype.constructor` is pointed at the proxy so
 * `pc.constructor === RTCPeerConnection` stays true. `close()` is proxied the same way because
 * closing fires no `connectionstatechange`. Both print their native source through
 * `Function.prototype.toString` (see native-source.ts). Observer errors never reach the page.
 *
 * Returns the native methods the hook polls with, or null when the page has no RTCPeerConnection.
 */
export function wrapPeerConnectionConstructors(
  win: Window,
  observer: PeerConnectionObserver,
): NativePeerConnectionApi | null {
  const proxies = new Map<PeerConnectionConstructor, PeerConnectionConstructor>();
  let api: NativePeerConnectionApi | null = null;
  let mask: NativeSourceMask | undefined;

  for (const name of CONSTRUCTOR_NAMES) {
    const descriptor = Object.getOwnPropertyDescriptor(win, name);
    const native = descriptor?.value as PeerConnectionConstructor | undefined;
    if (!descriptor || typeof native !== 'function' || !native.prototype) continue;
    const known = proxies.get(native);
    const proxy = known ?? proxyConstructor(native, observer);
    try {
      Object.defineProperty(win, name, { ...descriptor, value: proxy });
    } catch {
      // A non-configurable global: leave the page's constructor alone rather than break it.
      continue;
    }
    if (!known) {
      mask ??= maskNativeSource(win);
      mask.register(proxy, native);
      proxies.set(native, proxy);
      api ??= captureNativeApi(native.prototype);
      pointConstructorAt(native.prototype, proxy);
      proxyClose(native.prototype, observer, mask);
    }
  }
  return api;
}

function proxyConstructor(native: PeerConnectionConstructor, observer: PeerConnectionObserver): PeerConnectionConstructor {
  const proxy: PeerConnectionConstructor = new Proxy(native, {
    construct(target, args, newTarget) {
      // `new RTCPeerConnection()` reaches here with newTarget === proxy; subclasses keep theirs.
      const pc = Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as RTCPeerConnection;
      try {
        observer.onCreate(pc);
      } catch {
        // Capture must never break the page's call.
      }
      return pc;
    },
  });
  return proxy;
}

function pointConstructorAt(prototype: object, proxy: PeerConnectionConstructor): void {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, 'constructor');
  if (!descriptor || !('value' in descriptor)) return;
  try {
    Object.defineProperty(prototype, 'constructor', { ...descriptor, value: proxy });
  } catch {
    // Non-configurable in some engine: identity of prototype.constructor is cosmetic.
  }
}

function proxyClose(prototype: RTCPeerConnection, observer: PeerConnectionObserver, mask: NativeSourceMask): void {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, 'close');
  if (!descriptor || typeof descriptor.value !== 'function') return;
  const close = new Proxy(descriptor.value as RTCPeerConnection['close'], {
    apply(target, thisArg: RTCPeerConnection, args) {
      const result = Reflect.apply(target, thisArg, args) as unknown;
      try {
        observer.onClose(thisArg);
      } catch {
        // As above: the page's close() must behave exactly as before.
      }
      return result;
    },
  });
  mask.register(close, descriptor.value as object);
  try {
    Object.defineProperty(prototype, 'close', { ...descriptor, value: close });
  } catch {
    // The state check at each poll still notices the close.
  }
}

function captureNativeApi(prototype: RTCPeerConnection): NativePeerConnectionApi {
  const getStats = prototype.getStats as (this: RTCPeerConnection) => Promise<unknown>;
  const connectionState = Object.getOwnPropertyDescriptor(prototype, 'connectionState')?.get;
  const iceConnectionState = Object.getOwnPropertyDescriptor(prototype, 'iceConnectionState')?.get;
  return {
    getStats: (pc) => Reflect.apply(getStats, pc, []) as Promise<unknown>,
    readState(pc) {
      try {
        if (connectionState) return Reflect.apply(connectionState, pc, []) as string;
        if (iceConnectionState) return fromIceState(Reflect.apply(iceConnectionState, pc, []) as string);
      } catch {
        // A foreign object passed off as a connection: treat as unknown.
      }
      return undefined;
    },
  };
}

const ICE_TO_CONNECTION_STATE: Record<string, string> = {
  new: 'new',
  checking: 'connecting',
  connected: 'connected',
  completed: 'connected',
  disconnected: 'disconnected',
  failed: 'failed',
  closed: 'closed',
};

function fromIceState(state: string): string | undefined {
  return ICE_TO_CONNECTION_STATE[state];
}
