// One HTTP exchange with a metrics receiver (Pushgateway or remote-write), classified into a
// GatewayResult, so that delivery and the circuit breaker decide alike for both sinks.

/**
 * The outcome of one request.
 * - ok: the gateway accepted it (2xx).
 * - http: the gateway answered with another status; `message` is its body, trimmed and capped.
 * - timeout: no answer within `timeoutMs`.
 * - network: no answer at all (DNS, refused, offline, TLS, CORS...).
 * - aborted: the caller's signal ended the request; says nothing about the gateway.
 * - config: the request was not sent because the config or grouping key is unusable.
 */
export type GatewayResult =
  | { kind: 'ok'; status: number }
  | { kind: 'http'; status: number; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'network'; message: string; code?: string }
  | { kind: 'aborted'; message: string }
  | { kind: 'config'; message: string };

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Longest gateway message kept: enough for a parse error with its line, not a whole HTML page. */
export const MAX_MESSAGE_CHARS = 500;

/**
 * True when a result means the gateway (or the way to it) is down or overloaded: 5xx, 429, 408,
 * timeouts and network errors. Only these count as failures for the circuit breaker; a 4xx
 * means the gateway is up and refused this one request.
 */
export function isOutage(result: GatewayResult): boolean {
  switch (result.kind) {
    case 'timeout':
    case 'network':
      return true;
    case 'http':
      return result.status >= 500 || result.status === 429 || result.status === 408;
    default:
      return false;
  }
}

/** True when the gateway answered and refused this request (a 4xx other than 408/429), or it was unsendable. */
export function isRejection(result: GatewayResult): boolean {
  return result.kind === 'config' || (result.kind === 'http' && !isOutage(result));
}

const TIMEOUT_REASON = 'exporter-request-timeout';

/**
 * One request with its own timeout covering the whole exchange (headers and body). A timer
 * rather than `AbortSignal.timeout` so that fake timers in tests and a stopped worker behave alike.
 */
export async function sendRequest(
  doFetch: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<GatewayResult> {
  if (outer?.aborted) return { kind: 'aborted', message: 'Request cancelled' };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMEOUT_REASON), timeoutMs);
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    // Redirects are never followed: a followed redirect replays the body (and, to the same
    // origin, the basic-auth header) to wherever the answer points. A receiver behind a redirect
    // is a configuration error the user fixes by entering the final URL.
    const response = await doFetch(url, { ...init, signal: controller.signal, credentials: 'omit', redirect: 'manual' });
    if (isRedirect(response)) return redirectResult(response);
    const text = await readCapped(response);
    if (response.ok) return { kind: 'ok', status: response.status };
    return { kind: 'http', status: response.status, message: text || response.statusText || `HTTP ${response.status}` };
  } catch (error) {
    if (controller.signal.aborted) {
      if (controller.signal.reason === TIMEOUT_REASON) {
        return { kind: 'timeout', message: `No answer within ${timeoutMs} ms` };
      }
      return { kind: 'aborted', message: 'Request cancelled' };
    }
    return networkResult(error);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** Browsers give an opaque `opaqueredirect` response (status 0) for `redirect: 'manual'`; Node gives the 3xx itself. */
function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
}

function redirectResult(response: Response): GatewayResult {
  const location = response.headers.get('location');
  const where = location ? ` to ${location.slice(0, 200)}` : '';
  return {
    kind: 'config',
    message: `The gateway answered with a redirect${where}; it is not followed, so that metrics and credentials go nowhere else. Enter the final URL.`,
  };
}

async function readCapped(response: Response): Promise<string> {
  // An error page can be large: keep only what a person reads.
  const text = await response.text();
  const trimmed = text.trim();
  return trimmed.length > MAX_MESSAGE_CHARS ? `${trimmed.slice(0, MAX_MESSAGE_CHARS)}…` : trimmed;
}

function networkResult(error: unknown): GatewayResult {
  // Browsers give a bare TypeError ("Failed to fetch"); Node adds a cause with a system code.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const base = error instanceof Error ? error.message : String(error);
  const detail = typeof cause?.message === 'string' ? `${base}: ${cause.message}` : base;
  return { kind: 'network', message: detail.slice(0, MAX_MESSAGE_CHARS), ...(code ? { code } : {}) };
}
