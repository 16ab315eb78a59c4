/**
 * The page's built-ins the hook needs, taken once at document_start, before any page script
 * runs. A page may later replace `dispatchEvent`, `CustomEvent`, `JSON.stringify`, the timers,
 * `addEventListener` and so on (with throwing functions, or spies); the hook keeps using the
 * originals, called through the original `Reflect.apply`, so such a page neither stops capture
 * nor sees the hook's messages.
 */
export interface PagePrimitives {
  /** `target.addEventListener(type, listener)` with the original method. */
  listen(target: EventTarget, type: string, listener: (event: Event) => void): void;
  /** `target.removeEventListener(type, listener)` with the original method. */
  unlisten(target: EventTarget, type: string, listener: (event: Event) => void): void;
  /** Dispatches a new CustomEvent (original constructor and dispatchEvent); returns dispatchEvent's answer. */
  dispatch(target: EventTarget, type: string, detail: string | null, cancelable?: boolean): boolean;
  /** The event's `detail`, read with the original getter. */
  detail(event: Event): unknown;
  /** `event.preventDefault()` with the original method. */
  preventDefault(event: Event): void;
  stringify(value: unknown): string;
  parse(text: string): unknown;
  now(): number;
  random(): number;
  setInterval(handler: () => void, ms: number): number;
  clearInterval(id: number): void;
  setTimeout(handler: () => void, ms: number): number;
}

/** Takes the primitives from `win` now; call at document_start. */
export function capturePagePrimitives(page: Window): PagePrimitives {
  const win = page as Window & typeof globalThis;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const target = win.EventTarget.prototype;
  const addEventListener = target.addEventListener;
  const removeEventListener = target.removeEventListener;
  const dispatchEvent = target.dispatchEvent;
  const preventDefault = win.Event.prototype.preventDefault;
  const CustomEventCtor = win.CustomEvent;
  const detailGetter = Object.getOwnPropertyDescriptor(win.CustomEvent.prototype, 'detail')?.get;
  const { stringify, parse } = win.JSON;
  const json = win.JSON;
  const dateNow = win.Date.now;
  const mathRandom = win.Math.random;
  const setIntervalFn = win.setInterval;
  const clearIntervalFn = win.clearInterval;
  const setTimeoutFn = win.setTimeout;

  return {
    listen: (on, type, listener) => void apply(addEventListener, on, [type, listener]),
    unlisten: (on, type, listener) => void apply(removeEventListener, on, [type, listener]),
    dispatch(on, type, detail, cancelable = false) {
      // A prototype-less dictionary: the constructor reads bubbles/cancelable/composed from it,
      // and a page's getters on Object.prototype must not run (or throw) inside the hook.
      const init = { __proto__: null, detail, cancelable } as CustomEventInit;
      const event = construct(CustomEventCtor, [type, init]) as Event;
      return apply(dispatchEvent, on, [event]) as boolean;
    },
    detail: (event) => (detailGetter ? apply(detailGetter, event, []) : undefined),
    preventDefault: (event) => void apply(preventDefault, event, []),
    stringify: (value) => apply(stringify, json, [value]) as string,
    parse: (text) => apply(parse, json, [text]) as unknown,
    now: () => apply(dateNow, undefined, []) as number,
    random: () => apply(mathRandom, undefined, []) as number,
    setInterval: (handler, ms) => apply(setIntervalFn, win, [handler, ms]) as unknown as number,
    clearInterval: (id) => void apply(clearIntervalFn, win, [id]),
    setTimeout: (handler, ms) => apply(setTimeoutFn, win, [handler, ms]) as unknown as number,
  };
}
