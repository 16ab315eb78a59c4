/** Makes wrapped functions print their original source. */
export interface NativeSourceMask {
  /** `Function.prototype.toString` of `wrapper` prints what it prints for `original`. */
  register(wrapper: object, original: object): void;
}

/**
 * Replaces the page's `Function.prototype.toString` with a Proxy that answers for a registered
 * wrapper as for its original, and for itself as for the original toString. Why: a Proxy of a
 * native function prints as `function () { [native code] }`, without the name, so a page could
 * tell the wrapped `RTCPeerConnection` and `close` from native ones with one call. Everything else
 * goes to the original toString unchanged (including its errors for non-functions).
 */
export function maskNativeSource(page: Window): NativeSourceMask {
  const win = page as Window & typeof globalThis;
  const originals = new WeakMap<object, object>();
  const functionPrototype = win.Function?.prototype as object | undefined;
  const descriptor = functionPrototype && Object.getOwnPropertyDescriptor(functionPrototype, 'toString');
  const toString = descriptor?.value as ((this: unknown) => string) | undefined;
  const apply = Reflect.apply;
  if (!functionPrototype || !descriptor || typeof toString !== 'function') return { register: () => {} };
  const masked = new Proxy(toString, {
    apply(target, thisArg: unknown, args: unknown[]) {
      const original = typeof thisArg === 'function' || (typeof thisArg === 'object' && thisArg !== null) ? originals.get(thisArg) : undefined;
      return apply(target, original ?? thisArg, args) as string;
    },
  });
  try {
    Object.defineProperty(functionPrototype, 'toString', { ...descriptor, value: masked });
    originals.set(masked, toString);
  } catch {
    // A frozen Function.prototype: the wrappers print as proxies, nothing breaks.
  }
  return {
    register(wrapper, original) {
      originals.set(wrapper, original);
    },
  };
}
