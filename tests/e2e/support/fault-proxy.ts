import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does with the next requests:
 * - 'pass': forward to the target unchanged.
 * - { status, paths? }: answer with that status (and a gateway-like message) for requests whose
 *   path matches `paths` (all when absent); forward the rest.
 * - 'stall': hold each request without answering for `stallMs` (10 s by default) or until
 *   closed, then drop the connection.
 * - { delayMs }: forward each request after `delayMs(method, path)` ms (0: at once): a slow
 *   upload still on its way while later requests overtake it.
 * - 'reset': destroy the socket as soon as the request arrives.
 * - 'refuse': stop listening, so new connections are refused; open connections are dropped.
 *   Any other mode listens again on the same port.
 */
export type FaultMode =
  | 'pass'
  | 'stall'
  | 'reset'
  | 'refuse'
  | { status: number; paths?: RegExp; body?: string }
  | { delayMs: (method: string, path: string) => number };

export interface FaultProxy {
  /** Base URL of the proxy, e.g. `http://127.0.0.1:40123`. */
  url: string;
  port: number;
  setMode(mode: FaultMode): Promise<void>;
  mode(): FaultMode;
  /** Requests seen, by `"<METHOD> <path>"` (path without query). Counted in every mode but 'refuse'. */
  requests: Record<string, number>;
  /** Requests seen whose method matches and whose path matches `path` (all when absent). */
  count(method?: string, path?: RegExp): number;
  /** Forgets the counts. */
  resetCounts(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  stallMs?: number;
}

/** Starts a fault-injecting HTTP proxy on 127.0.0.1 in front of `targetUrl` (node:http only). */
export async function startFaultProxy(targetUrl: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetBase = target.pathname.replace(/\/+$/, '');
  const stallMs = options.stallMs ?? 10_000;
  let current: FaultMode = 'pass';
  let closed = false;
  const requests: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const stalls = new Set<ReturnType<typeof setTimeout>>();

  const server = createServer((req, res) => handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const name = `${req.method ?? 'GET'} ${path}`;
    requests[name] = (requests[name] ?? 0) + 1;
    const mode = current;
    if (mode === 'reset' || mode === 'refuse') {
      req.socket.destroy();
      return;
    }
    if (mode === 'stall') {
      const timer = setTimeout(() => {
        stalls.delete(timer);
        req.socket.destroy();
      }, stallMs);
      stalls.add(timer);
      req.resume();
      return;
    }
    if (typeof mode === 'object' && 'delayMs' in mode) {
      const delayMs = mode.delayMs(req.method ?? 'GET', path);
      if (delayMs <= 0) return forward(req, res);
      // The body stays buffered in the paused request until it is piped on.
      const timer = setTimeout(() => {
        stalls.delete(timer);
        forward(req, res);
      }, delayMs);
      stalls.add(timer);
      return;
    }
    if (mode !== 'pass' && (!mode.paths || mode.paths.test(path))) {
      req.resume();
      req.on('end', () => {
        const body = mode.body ?? defaultBody(mode.status);
        res.writeHead(mode.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
      });
      return;
    }
    forward(req, res);
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: `${targetBase}${req.url ?? '/'}`,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`fault-proxy: ${error.message}`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  async function listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async function stopListening(): Promise<void> {
    if (!server.listening) return;
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await done;
  }

  await listen(0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async setMode(mode) {
      if (closed) throw new Error('fault proxy is closed');
      current = mode;
      if (mode === 'refuse') await stopListening();
      else if (!server.listening) await listen(port);
    },
    mode: () => current,
    count(method, path) {
      let total = 0;
      for (const [name, value] of Object.entries(requests)) {
        const [m, p = ''] = name.split(' ', 2);
        if ((method === undefined || m === method) && (path === undefined || path.test(p))) total += value;
      }
      return total;
    },
    resetCounts() {
      for (const name of Object.keys(requests)) delete requests[name];
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of stalls) clearTimeout(timer);
      stalls.clear();
      await stopListening();
    },
  };
}

function defaultBody(status: number): string {
  // Shaped like the gateway's own answers, so code that shows the message has something real to show.
  if (status === 400) return 'text format parsing error in line 1: fault-proxy injected 400\n';
  return `fault-proxy injected ${status}\n`;
}
