import fixture from '../../fixtures/chromium-av-loopback.json';

/** The later of the two recorded Chromium getStats() reports of the caller (25 objects). */
export const CALLER_STATS: Record<string, unknown>[] = fixture.pcs[0]!.stats;

/** A getStats() result as browsers give it: a maplike keyed by stats id. */
export function statsReportOf(stats: Record<string, unknown>[]): Map<string, unknown> {
  return new Map(stats.map((stat) => [String(stat.id), structuredClone(stat)]));
}

/**
 * A stand-in for the browser's RTCPeerConnection, shaped like the native one: methods and state
 * getters on the prototype, a static generateCertificate, name 'RTCPeerConnection', length 0.
 * Each call creates a fresh class, because the hook patches the prototype it wraps.
 */
export function createFakePeerConnectionClass() {
  class FakePeerConnection {
    static generateCertificate(_keygenAlgorithm: unknown): Promise<string> {
      return Promise.resolve('certificate');
    }
    /** Every instance, in creation order. */
    static instances: FakePeerConnection[] = [];

    state: RTCPeerConnectionState = 'new';
    statsCalls = 0;
    /** What getStats() does; tests replace it to fail or hang. */
    statsImpl: () => Promise<Map<string, unknown>> = () => Promise.resolve(statsReportOf(CALLER_STATS));

    constructor(...args: unknown[]) {
      void args;
      FakePeerConnection.instances.push(this);
    }
    get connectionState(): RTCPeerConnectionState {
      return this.state;
    }
    getStats(): Promise<Map<string, unknown>> {
      this.statsCalls++;
      return this.statsImpl();
    }
    close(): void {
      this.state = 'closed';
    }
  }
  Object.defineProperty(FakePeerConnection, 'name', { value: 'RTCPeerConnection' });
  return FakePeerConnection;
}

export type FakePeerConnectionClass = ReturnType<typeof createFakePeerConnectionClass>;
export type FakePeerConnection = InstanceType<FakePeerConnectionClass>;

/** Puts a fresh fake class on `win` the way browsers define interface objects. */
export function installFakePeerConnection(win: object, names = ['RTCPeerConnection']): FakePeerConnectionClass {
  const FakeClass = createFakePeerConnectionClass();
  for (const name of names) {
    Object.defineProperty(win, name, { value: FakeClass, writable: true, configurable: true, enumerable: false });
  }
  return FakeClass;
}
