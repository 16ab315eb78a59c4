import { describe, expect, it, vi } from 'vitest';
import { wrapPeerConnectionConstructors } from '@/utils/webrtc/constructor-wrapper';
import { createFakePeerConnectionClass, installFakePeerConnection, type FakePeerConnectionClass } from './fake-peer-connection';

type PcWindow = {
  RTCPeerConnection: FakePeerConnectionClass;
  webkitRTCPeerConnection?: FakePeerConnectionClass;
  Function: { prototype: { toString: (this: unknown) => string } };
};

const nativeToString = Function.prototype.toString;
/** How the page prints a function: its own Function.prototype.toString, which the wrapper masks. */
const pageSource = (win: PcWindow, fn: unknown) => Reflect.apply(win.Function.prototype.toString, fn, []) as string;

function setup(names?: string[]) {
  // Its own Function.prototype, so that the mask never touches the test runner's.
  const win = { Function: { prototype: { toString: nativeToString } } } as PcWindow;
  const Native = installFakePeerConnection(win, names);
  const observer = { onCreate: vi.fn(), onClose: vi.fn() };
  const api = wrapPeerConnectionConstructors(win as unknown as Window, observer);
  return { win, Native, observer, api };
}

describe('wrapPeerConnectionConstructors', () => {
  it('replaces the constructor and reports each new connection', () => {
    const { win, Native, observer } = setup();
    expect(win.RTCPeerConnection).not.toBe(Native);
    const pc = new win.RTCPeerConnection({ iceServers: [] });
    expect(observer.onCreate).toHaveBeenCalledExactlyOnceWith(pc);
  });

  it('keeps name, length, prototype and static members as the page knew them', () => {
    const { win, Native } = setup();
    expect(win.RTCPeerConnection.name).toBe('RTCPeerConnection');
    expect(win.RTCPeerConnection.length).toBe(Native.length);
    expect(win.RTCPeerConnection.prototype).toBe(Native.prototype);
    expect(win.RTCPeerConnection.generateCertificate).toBe(Native.generateCertificate);
  });

  it.each([
    ['the constructor', (win: PcWindow) => win.RTCPeerConnection, (Native: FakePeerConnectionClass) => Native],
    ['close()', (win: PcWindow) => win.RTCPeerConnection.prototype.close, (_: FakePeerConnectionClass, close: unknown) => close],
  ])('prints %s with its original source, so toString tells no proxy', (_name, wrapped, original) => {
    const Native = createFakePeerConnectionClass();
    const close = Native.prototype.close;
    const win = { Function: { prototype: { toString: nativeToString } } } as PcWindow;
    Object.defineProperty(win, 'RTCPeerConnection', { value: Native, writable: true, configurable: true });
    wrapPeerConnectionConstructors(win as unknown as Window, { onCreate: vi.fn(), onClose: vi.fn() });
    expect(wrapped(win)).not.toBe(original(Native, close));
    expect(pageSource(win, wrapped(win))).toBe(Reflect.apply(nativeToString, original(Native, close), []));
    // A bare Proxy prints differently: this is what the mask hides.
    expect(Reflect.apply(nativeToString, wrapped(win), [])).not.toBe(pageSource(win, wrapped(win)));
  });

  it('prints its toString mask as the original toString and leaves other functions alone', () => {
    const { win } = setup();
    expect(win.Function.prototype.toString).not.toBe(nativeToString);
    expect(pageSource(win, win.Function.prototype.toString)).toBe(Reflect.apply(nativeToString, nativeToString, []));
    const own = function pageFunction(a: number) {
      return a + 1;
    };
    expect(pageSource(win, own)).toBe(Reflect.apply(nativeToString, own, []));
    expect(() => pageSource(win, {})).toThrow(TypeError);
  });

  it('keeps instanceof and constructor identity both ways', () => {
    const { win } = setup();
    const pc = new win.RTCPeerConnection();
    expect(pc).toBeInstanceOf(win.RTCPeerConnection);
    expect(pc.constructor).toBe(win.RTCPeerConnection);
    expect(win.RTCPeerConnection.prototype.constructor).toBe(win.RTCPeerConnection);
    expect(Object.getPrototypeOf(pc)).toBe(win.RTCPeerConnection.prototype);
  });

  it('keeps the global property non-enumerable, writable and configurable', () => {
    const { win } = setup();
    expect(Object.getOwnPropertyDescriptor(win, 'RTCPeerConnection')).toMatchObject({
      enumerable: false,
      writable: true,
      configurable: true,
    });
  });

  it('lets the page subclass the constructor and still reports the instance', () => {
    const { win, observer } = setup();
    class AppPeerConnection extends win.RTCPeerConnection {
      app = true;
    }
    const pc = new AppPeerConnection();
    expect(pc).toBeInstanceOf(AppPeerConnection);
    expect(pc).toBeInstanceOf(win.RTCPeerConnection);
    expect(pc.app).toBe(true);
    expect(observer.onCreate).toHaveBeenCalledWith(pc);
  });

  it('wraps a webkit alias with the same wrapper', () => {
    const { win, observer } = setup(['RTCPeerConnection', 'webkitRTCPeerConnection']);
    expect(win.webkitRTCPeerConnection).toBe(win.RTCPeerConnection);
    new win.RTCPeerConnection();
    expect(observer.onCreate).toHaveBeenCalledTimes(1);
  });

  it('reports close() and still closes the connection', () => {
    const { win, observer } = setup();
    const pc = new win.RTCPeerConnection();
    pc.close();
    expect(pc.connectionState).toBe('closed');
    expect(observer.onClose).toHaveBeenCalledExactlyOnceWith(pc);
    expect(win.RTCPeerConnection.prototype.close.name).toBe('close');
  });

  it('never lets an observer error reach the page', () => {
    const { win, observer } = setup();
    observer.onCreate.mockImplementation(() => {
      throw new Error('hook bug');
    });
    observer.onClose.mockImplementation(() => {
      throw new Error('hook bug');
    });
    const pc = new win.RTCPeerConnection();
    expect(() => pc.close()).not.toThrow();
    expect(pc.connectionState).toBe('closed');
  });

  it('passes constructor errors of the browser through unchanged', () => {
    const error = new TypeError('bad iceServers');
    const win = {} as { RTCPeerConnection: new () => object };
    const Throwing = function RTCPeerConnection() {
      throw error;
    };
    Object.defineProperty(win, 'RTCPeerConnection', { value: Throwing, writable: true, configurable: true });
    const observer = { onCreate: vi.fn(), onClose: vi.fn() };
    wrapPeerConnectionConstructors(win as unknown as Window, observer);
    expect(win.RTCPeerConnection).not.toBe(Throwing);
    expect(() => new win.RTCPeerConnection()).toThrow(error);
    expect(observer.onCreate).not.toHaveBeenCalled();
  });

  it('polls with the native getStats even when the page replaces it later', async () => {
    const { win, api } = setup();
    const pc = new win.RTCPeerConnection();
    win.RTCPeerConnection.prototype.getStats = () => Promise.reject(new Error('page wrapper'));
    await expect(api?.getStats(pc as unknown as RTCPeerConnection)).resolves.toBeInstanceOf(Map);
    expect(pc.statsCalls).toBe(1);
  });

  it('reads the state through the native getter', () => {
    const { win, api } = setup();
    const pc = new win.RTCPeerConnection();
    pc.state = 'failed';
    Object.defineProperty(pc, 'connectionState', { value: 'connected' });
    expect(api?.readState(pc as unknown as RTCPeerConnection)).toBe('failed');
  });

  it('returns null and changes nothing when the page has no RTCPeerConnection', () => {
    const win = {};
    expect(wrapPeerConnectionConstructors(win as Window, { onCreate: vi.fn(), onClose: vi.fn() })).toBeNull();
    expect(win).toEqual({});
  });
});
