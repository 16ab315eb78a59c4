import { basicAuthHeader } from './pushgateway-client';
import { sendRequest, type FetchLike, type GatewayResult } from './http-request';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS, type RemoteWriteSeries } from './remote-write-encoder';

/** What the client needs to know about the receiver; read again before every request. */
export interface RemoteWriteConfig {
  /** The receiver's write endpoint, e.g. https://vminsert.example.com/insert/0/prometheus/api/v1/write */
  url: string;
  username: string;
  password: string;
  /** Sent as `Authorization: Bearer …` when set (takes precedence over basic auth). */
  bearerToken: string;
  timeoutMs: number;
}

export interface RemoteWriteClient {
  /** POSTs the series as one remote-write 1.0 request. */
  write(series: readonly RemoteWriteSeries[], signal?: AbortSignal): Promise<GatewayResult>;
  /** True when a receiver URL is set. */
  configured(): boolean;
}

/**
 * Creates a client for a Prometheus remote-write 1.0 receiver (Prometheus with
 * `--web.enable-remote-write-receiver`, VictoriaMetrics, Mimir, Cortex, Thanos Receive).
 * Never throws for network or HTTP trouble: the result is classified like a Pushgateway's.
 */
export function createRemoteWriteClient(getConfig: () => RemoteWriteConfig, fetchImpl?: FetchLike): RemoteWriteClient {
  const doFetch: FetchLike = fetchImpl ?? ((input, init) => fetch(input, init));
  return {
    async write(series, signal) {
      const config = getConfig();
      const url = config.url.trim();
      if (url === '') return { kind: 'config', message: 'No remote-write URL is configured' };
      const headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS };
      if (config.bearerToken !== '') headers.Authorization = `Bearer ${config.bearerToken}`;
      else if (config.username !== '') headers.Authorization = basicAuthHeader(config.username, config.password);
      const body = encodeRemoteWriteBody(series) as Uint8Array<ArrayBuffer>;
      return sendRequest(doFetch, url, { method: 'POST', headers, body }, config.timeoutMs, signal);
    },
    configured: () => getConfig().url.trim() !== '',
  };
}
