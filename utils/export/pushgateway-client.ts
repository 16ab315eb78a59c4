import { sendRequest, type FetchLike, type GatewayResult } from './http-request';

export { isOutage, isRejection, MAX_MESSAGE_CHARS, type FetchLike, type GatewayResult } from './http-request';

/**
 * Talks HTTP to a Prometheus Pushgateway: PUT a group's snapshot, DELETE a group, GET /-/ready.
 * Never throws for network or HTTP trouble: every call resolves to a classified result, so the
 * delivery and the circuit breaker can decide what is an outage and what is a rejection.
 */

/** What the client needs to know about the gateway; read again before every request. */
export interface PushgatewayConfig {
  url: string;
  job: string;
  username: string;
  password: string;
  gzip: boolean;
  timeoutMs: number;
}

/** A grouping key: label name -> label value, without `job` (the job comes from the config). */
export type GroupingKey = Record<string, string>;

/** Another gateway than the configured one (URL, job, credentials), e.g. the one a delete is bound to. */
export type GatewayOverride = Pick<PushgatewayConfig, 'url' | 'job' | 'username' | 'password'>;

export interface PushgatewayClient {
  /** PUT `body` as the full state of the group (series missing from it are removed). */
  push(groupingKey: GroupingKey, body: string, signal?: AbortSignal, to?: GatewayOverride): Promise<GatewayResult>;
  /** DELETE the group (at `to` when given). The gateway answers 202 even when the group does not exist. */
  delete(groupingKey: GroupingKey, signal?: AbortSignal, to?: GatewayOverride): Promise<GatewayResult>;
  /** GET `/-/ready`: is the gateway up and is this the right base URL? */
  ready(signal?: AbortSignal): Promise<GatewayResult>;
  /** True when a gateway URL is set, i.e. pushing is meant to happen. */
  configured(): boolean;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Encodes one path segment of a Pushgateway URL. Values that contain `/` or are empty cannot
 * travel as plain segments (a `%2F` is decoded before routing), so they use the gateway's
 * `<label>@base64/<url-safe base64>` form; an empty value is `=`.
 */
export function encodePathPair(label: string, value: string): string {
  if (value === '') return `${label}@base64/=`;
  if (value.includes('/')) return `${label}@base64/${toBase64Url(value)}`;
  return `${label}/${encodeURIComponent(value)}`;
}

/** Base64 (URL-safe alphabet, with padding) of the UTF-8 bytes of `value`. */
export function toBase64Url(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * Builds `<url>/metrics/job/<job>/<label>/<value>...`, or an error message when the job or a
 * label name is unusable.
 */
export function buildGroupUrl(
  baseUrl: string,
  job: string,
  groupingKey: GroupingKey,
): { url: string } | { error: string } {
  const base = baseUrl.trim().replace(/\/+$/, '');
  if (base === '') return { error: 'No Pushgateway URL is configured' };
  if (job === '') return { error: 'The job name cannot be empty' };
  const segments = [encodePathPair('job', job)];
  for (const [label, value] of Object.entries(groupingKey)) {
    if (!LABEL_NAME.test(label) || label === 'job') {
      return { error: `Grouping key label "${label.slice(0, 100)}" is not a valid label name` };
    }
    segments.push(encodePathPair(label, value));
  }
  return { url: `${base}/metrics/${segments.join('/')}` };
}

/** The `Authorization` value for HTTP basic auth; user and password are UTF-8 encoded. */
export function basicAuthHeader(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** Gzips text with the platform's CompressionStream (browsers and Node 18+ have it). */
export async function gzipText(text: string): Promise<Uint8Array> {
  // A Response body, not a Blob's stream: Chromium keeps a Blob's bytes in the browser process, so
  // reading one back costs IPC. Measured in the extension's worker, side by side on a 3.5 KB quality
  // body: 1.4 ms per push through a Blob, 0.2 ms through a Response (docs/benchmarks.md).
  const stream = new Response(text).body!.pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Creates a client. `getConfig` is read on every request, so changed settings apply at once.
 * `fetchImpl` is for tests; by default the global `fetch` is used.
 */
export function createPushgatewayClient(
  getConfig: () => PushgatewayConfig,
  fetchImpl?: FetchLike,
): PushgatewayClient {
  // Called through a closure: a detached `fetch` throws "Illegal invocation" in browsers.
  const doFetch: FetchLike = fetchImpl ?? ((input, init) => fetch(input, init));

  async function groupRequest(
    method: 'PUT' | 'DELETE',
    groupingKey: GroupingKey,
    body: string | undefined,
    signal: AbortSignal | undefined,
    to: GatewayOverride | undefined,
  ): Promise<GatewayResult> {
    const config = { ...getConfig(), ...to };
    const built = buildGroupUrl(config.url, config.job, groupingKey);
    if ('error' in built) return { kind: 'config', message: built.error };
    const headers: Record<string, string> = {};
    if (config.username !== '') headers.Authorization = basicAuthHeader(config.username, config.password);
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      headers['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
      if (config.gzip) {
        headers['Content-Encoding'] = 'gzip';
        payload = (await gzipText(body)) as Uint8Array<ArrayBuffer>;
      } else {
        payload = body;
      }
    }
    return sendRequest(doFetch, built.url, { method, headers, body: payload }, config.timeoutMs, signal);
  }

  return {
    push: (groupingKey, body, signal, to) => groupRequest('PUT', groupingKey, body, signal, to),
    delete: (groupingKey, signal, to) => groupRequest('DELETE', groupingKey, undefined, signal, to),
    async ready(signal) {
      const config = getConfig();
      const base = config.url.trim().replace(/\/+$/, '');
      if (base === '') return { kind: 'config', message: 'No Pushgateway URL is configured' };
      const headers: Record<string, string> = {};
      if (config.username !== '') headers.Authorization = basicAuthHeader(config.username, config.password);
      return sendRequest(doFetch, `${base}/-/ready`, { method: 'GET', headers }, config.timeoutMs, signal);
    },
    configured: () => getConfig().url.trim() !== '',
  };
}
