/**
 * The relay -> background path for hook reports: one long-lived `runtime.connect` port per
 * frame instead of a `runtime.sendMessage` per batch.
 *
 * Why: in Chromium every sendMessage opens a one-time channel to the worker and waits for an
 * answer; that was the largest item of the page's main-thread time per poll (CDP profile of the
 * call page, docs/benchmarks.md "Page main-thread cost per poll"). A port pays the channel once.
 * Port messages keep their order, so an `ended` report never overtakes the frame's last stats.
 * The rest of the relay's messages (config, drop counts) stay on @webext-core/messaging.
 */

/** Name of the relay's report port; the background accepts reports only on ports of this name. */
export const REPORT_PORT_NAME = 'webrtc-stats-exporter/reports';
/**
 * Report ports the background keeps open at once (one per captured frame). Beyond it a new port
 * is disconnected at once and counted (`report-port-cap`): a page making frames by the thousand
 * cannot make the worker hold a port for each. Default 500.
 */
export const MAX_REPORT_PORTS = 500;

/** The parts of `runtime.Port` used here (Chromium's and Firefox's ports both have them). */
export interface PortLike {
  name: string;
  sender?: unknown;
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
}

/** The relay's end: posts batches, connecting (again) when needed. */
export interface ReportPortClient {
  /** Posts one batch; throws when no port could take it (the caller counts the loss). */
  post(batch: unknown): void;
  /** Whether a port is open now (tests, diagnostics). */
  connected(): boolean;
  /** Disconnects; a later post connects again. */
  close(): void;
}

/**
 * Creates the relay's end. The port is opened on the first post, and again after it was
 * disconnected (worker stopped or restarted, background reloaded): `runtime.connect` wakes the
 * worker. A post on a port that died before its onDisconnect ran is retried once on a new port.
 */
export function createReportPortClient(connect: () => PortLike): ReportPortClient {
  let port: PortLike | null = null;

  function open(): PortLike {
    const fresh = connect();
    fresh.onDisconnect.addListener(() => {
      if (port === fresh) port = null;
    });
    port = fresh;
    return fresh;
  }

  return {
    post(batch) {
      try {
        (port ?? open()).postMessage(batch);
      } catch {
        // A port the worker closed meanwhile throws "disconnected port": one fresh try. A second
        // failure (context invalidated...) goes to the caller.
        port = null;
        open().postMessage(batch);
      }
    },
    connected: () => port !== null,
    close() {
      const current = port;
      port = null;
      try {
        current?.disconnect();
      } catch {
        // Already gone with the extension context: nothing left to close.
      }
    },
  };
}

/** The background's end. */
export interface ReportPortServer {
  /** Handles a port from `runtime.onConnect`; ports of other names are left alone. */
  accept(port: PortLike): void;
  /** Report ports open now. */
  size(): number;
}

export interface ReportPortServerOptions {
  /** A batch arrived on a report port, with the port's sender (the same checks as a message's). */
  onBatch(batch: unknown, sender: unknown): void;
  /** A port was refused, by reason (counted in health). */
  onRefused(reason: 'report-port-cap'): void;
  /** Most open report ports. Default {@link MAX_REPORT_PORTS}. */
  maxPorts?: number;
}

/** Creates the background's end: bounded set of open ports, each batch handed on with its sender. */
export function createReportPortServer(options: ReportPortServerOptions): ReportPortServer {
  const maxPorts = options.maxPorts ?? MAX_REPORT_PORTS;
  const open = new Set<PortLike>();
  return {
    accept(port) {
      if (port.name !== REPORT_PORT_NAME) return;
      if (open.size >= maxPorts) {
        options.onRefused('report-port-cap');
        port.disconnect();
        return;
      }
      open.add(port);
      port.onDisconnect.addListener(() => open.delete(port));
      port.onMessage.addListener((batch) => options.onBatch(batch, port.sender));
    },
    size: () => open.size,
  };
}
