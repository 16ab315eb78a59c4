/** What the e2e pages (tests/e2e/pages/*.html, loopback.js) put on `window`, for page.evaluate in tests. */
interface E2eStates {
  connectionState: RTCPeerConnectionState;
  signalingState: RTCSignalingState;
}

interface E2eCallOptions {
  audio?: boolean;
  video?: boolean;
  dataChannel?: boolean;
  /** The callee sends media too (default: only the caller sends). */
  twoWay?: boolean;
  timeoutMs?: number;
}

interface Window {
  startCall(options?: E2eCallOptions): Promise<E2eStates[]>;
  hangUp(): E2eStates[];
  readonly pcs: { count: number; states: E2eStates[] };
  e2e: {
    statsOfType(type: string): Promise<Array<Record<string, unknown> & { id: string; type: string; kind?: string }>>;
    states(): E2eStates[];
    /** Every stats object of every live connection, one array per connection (caller, callee, ...). */
    reports(): Promise<Array<Array<Record<string, unknown> & { id: string; type: string }>>>;
  };
  earlyPcs: RTCPeerConnection[];
  earlyStates(): RTCPeerConnectionState[];
  earlyWrapped: boolean;
  frameRtcWrapped: boolean;
  abuse: {
    NAMESPACE: string;
    forge(type: string, data: unknown, options?: { namespace?: string; id?: number }): number;
    request(type: string, data?: unknown, timeoutMs?: number): Promise<unknown>;
    fakeReport(pcId: string, seq: number, extra?: Record<string, unknown>): Record<string, unknown>;
    dispatch(detail: unknown): void;
    malformed(): number;
    big(bytes?: number): number;
    manyStats(count?: number): number;
    flood(count?: number, connections?: number): number;
    responses(): { count: number; kept: unknown[] };
  };
}
