import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_CHANNEL_NAMESPACE } from '../../../utils/webrtc/page-channel';

/** The test pages in tests/e2e/pages. */
export const PAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../pages');

export type PageName = 'call' | 'early' | 'iframe' | 'abuse' | 'datachannel';

export interface CallPageServerOptions {
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP: for pages under real platforms' host names. */
  tls?: { key: string; cert: string };
}

export interface CallPageServer {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`) */
  origin: string;
  port: number;
  /** URL of a page, e.g. `pageUrl('call', { id: 'x', secret: 'y' })`. */
  pageUrl(name: PageName, query?: Record<string, string>): string;
  /** Paths requested so far (with query), in order; capped. */
  requests(): string[];
  close(): Promise<void>;
}

const MAX_LOGGED_REQUESTS = 1_000;
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/**
 * Serves the e2e pages on 127.0.0.1 (a free port). Any query string is accepted; the page
 * channel's namespace is filled into the pages from page-channel.ts.
 */
export async function startCallPageServer(options: CallPageServerOptions = {}): Promise<CallPageServer> {
  const requested: string[] = [];
  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (requested.length < MAX_LOGGED_REQUESTS) requested.push(url.pathname + url.search);
    const name = path.basename(url.pathname === '/' ? '/call.html' : url.pathname);
    const file = path.join(PAGES_DIR, name);
    const type = TYPES[path.extname(name)];
    if (!type || !fs.existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const body = fs.readFileSync(file, 'utf8').replaceAll('%%PAGE_CHANNEL_NAMESPACE%%', PAGE_CHANNEL_NAMESPACE);
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    origin,
    port,
    pageUrl(name, query) {
      const search = query ? `?${new URLSearchParams(query).toString()}` : '';
      return `${origin}/${name}.html${search}`;
    },
    requests: () => requested.slice(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
