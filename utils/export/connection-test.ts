import { browser } from 'wxt/browser';
import type { Settings } from '../settings/settings-schema';
import type { ConnectionTestResult } from '../messaging/ui-types';
import { createPushgatewayClient, type FetchLike, type GatewayResult } from './pushgateway-client';
import { createRemoteWriteClient } from './remote-write-client';

/** Label of the throw-away group the test pushes and deletes again. */
export const TEST_GROUP_LABEL = 'webrtc_exporter_test';
/** A metric name no other group uses, so the test push can never clash with a real `# TYPE`. */
export const TEST_METRIC_BODY =
  '# HELP webrtc_exporter_connection_test Pushed and deleted by the options page connection test.\n' +
  '# TYPE webrtc_exporter_connection_test gauge\n' +
  'webrtc_exporter_connection_test 1\n';

export interface ConnectionTestDeps {
  /** Whether the extension may fetch from this origin (e.g. `http://127.0.0.1:9091`). */
  hasPermission(origin: string): Promise<boolean>;
  timeoutMs?: number;
  fetchImpl?: FetchLike;
  now?: () => number;
  /** Suffix of the test group; random by default so parallel tests never collide. */
  randomId?: () => string;
}

/**
 * The match pattern for a gateway's host permission. Match patterns ignore ports, and a
 * port in one is rejected by the browser, so it is `scheme://host/*`.
 */
export function gatewayPermissionPattern(origin: string): string {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}

/** `browser.permissions.contains` for the gateway's origin; false when the API refuses. */
export async function hasGatewayPermission(origin: string): Promise<boolean> {
  try {
    return await browser.permissions.contains({ origins: [gatewayPermissionPattern(origin)] });
  } catch {
    return false;
  }
}

/**
 * Checks a gateway without saving it and says exactly what failed: the URL, the permission,
 * reaching the host, the path (`/-/ready`), then a real PUT and DELETE of a tiny test group so
 * that a wrong path prefix or credentials that may read but not write are caught too.
 */
export async function testConnection(
  gateway: Settings['gateway'],
  deps: ConnectionTestDeps,
): Promise<ConnectionTestResult> {
  const checked = await checkTarget(gateway.url, 'Enter the Pushgateway URL, e.g. https://pushgateway.example.com:9091', deps);
  if ('result' in checked) return checked.result;
  const { parsed, finish } = checked;
  const hostPort = parsed.host;

  const client = createPushgatewayClient(
    () => ({ ...gateway, timeoutMs: deps.timeoutMs ?? 5_000 }),
    deps.fetchImpl,
  );
  const ready = await client.ready();
  if (ready.kind !== 'ok') return finish(describeFailure(ready, `${parsed.base}/-/ready`, hostPort, 'ready'));

  const groupingKey = { [TEST_GROUP_LABEL]: (deps.randomId ?? randomId)() };
  const pushed = await client.push(groupingKey, TEST_METRIC_BODY);
  if (pushed.kind !== 'ok') return finish(describeFailure(pushed, `${parsed.base}/metrics/job/…`, hostPort, 'push'));
  const deleted = await client.delete(groupingKey);
  if (deleted.kind !== 'ok') return finish(describeFailure(deleted, `${parsed.base}/metrics/job/…`, hostPort, 'delete'));

  return finish({
    ok: true,
    kind: 'ok',
    status: deleted.status,
    message: `Connected to ${hostPort}: the gateway is ready and accepted a test push and delete for job "${gateway.job}".`,
  });
}

/** Metric name of the one sample the remote-write test writes (no real series has it). */
export const REMOTE_WRITE_TEST_METRIC = 'webrtc_exporter_connection_test';

/**
 * Checks a remote-write receiver without saving it: the URL, the permission, then a real POST of
 * one sample (`webrtc_exporter_connection_test{job}` = 1, now), so that a wrong path, refused
 * credentials or a receiver without remote-write enabled are caught; says what it answered.
 */
export async function testRemoteWrite(
  remoteWrite: Settings['remoteWrite'],
  job: string,
  deps: ConnectionTestDeps,
): Promise<ConnectionTestResult> {
  const checked = await checkTarget(remoteWrite.url, 'Enter the remote-write URL, e.g. http://prometheus.example.com:9090/api/v1/write', deps);
  if ('result' in checked) return checked.result;
  const { parsed, finish } = checked;
  const now = deps.now ?? Date.now;
  const client = createRemoteWriteClient(
    () => ({
      url: remoteWrite.url,
      username: remoteWrite.auth === 'basic' ? remoteWrite.username : '',
      password: remoteWrite.auth === 'basic' ? remoteWrite.password : '',
      bearerToken: remoteWrite.auth === 'bearer' ? remoteWrite.bearerToken : '',
      timeoutMs: deps.timeoutMs ?? 5_000,
    }),
    deps.fetchImpl,
  );
  const written = await client.write([
    { name: REMOTE_WRITE_TEST_METRIC, labels: { ...remoteWrite.staticLabels, job }, samples: [{ value: 1, timestampMs: now() }] },
  ]);
  if (written.kind !== 'ok') return finish(describeFailure(written, `POST ${parsed.base}`, parsed.host, 'write'));
  return finish({
    ok: true,
    kind: 'ok',
    status: written.status,
    message: `Connected to ${parsed.host}: the receiver accepted a test sample (HTTP ${written.status}).`,
  });
}

type Finish = (result: Omit<ConnectionTestResult, 'elapsedMs'>) => ConnectionTestResult;

/**
 * The checks both tests start with: the URL parses (`emptyMessage` when it is empty), and the
 * extension may reach its origin. Gives the failed result, or the parsed URL and `finish`, which
 * stamps a result with the time since the check started.
 */
async function checkTarget(
  url: string,
  emptyMessage: string,
  deps: ConnectionTestDeps,
): Promise<{ result: ConnectionTestResult } | { parsed: NonNullable<ReturnType<typeof parseGatewayUrl>>; finish: Finish }> {
  const now = deps.now ?? Date.now;
  const started = now();
  const finish: Finish = (result) => ({ ...result, elapsedMs: Math.max(0, now() - started) });
  const parsed = parseGatewayUrl(url);
  if (!parsed) {
    const message = url.trim() === '' ? emptyMessage : `"${url.slice(0, 200)}" is not an http:// or https:// URL`;
    return { result: finish({ ok: false, kind: 'invalid-url', message }) };
  }
  if (!(await deps.hasPermission(parsed.origin))) {
    return {
      result: finish({
        ok: false,
        kind: 'permission',
        message: `The extension has no permission to reach ${parsed.origin}. Allow access to ${gatewayPermissionPattern(parsed.origin)} when asked.`,
      }),
    };
  }
  return { parsed, finish };
}

function parseGatewayUrl(value: string): { origin: string; host: string; base: string } | undefined {
  try {
    const url = new URL(value.trim());
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return { origin: url.origin, host: `${url.hostname}:${port}`, base: value.trim().replace(/\/+$/, '') };
  } catch {
    return undefined;
  }
}

type Step = 'ready' | 'push' | 'delete' | 'write';

function describeFailure(
  result: Exclude<GatewayResult, { kind: 'ok' }>,
  where: string,
  hostPort: string,
  step: Step,
): Omit<ConnectionTestResult, 'elapsedMs'> {
  const what =
    step === 'ready' ? `GET ${where}` : step === 'push' ? 'The test push' : step === 'write' ? 'The test sample' : 'The test delete';
  switch (result.kind) {
    case 'timeout':
      return { ok: false, kind: 'timeout', message: `${what}: no answer from ${hostPort} (${result.message}).` };
    case 'network':
      if (result.code === 'ECONNREFUSED') {
        return { ok: false, kind: 'refused', message: `Could not reach ${hostPort}: connection refused.` };
      }
      if (result.code === 'ENOTFOUND' || result.code === 'EAI_AGAIN') {
        return { ok: false, kind: 'dns', message: `Could not reach ${hostPort}: the host name does not resolve.` };
      }
      // A browser's fetch gives one TypeError for all of these and cannot tell them apart.
      return {
        ok: false,
        kind: 'network',
        message: `Could not reach ${hostPort} (DNS, refused or offline; for https also a certificate problem).`,
      };
    case 'http':
      return describeHttp(result.status, result.message, what, step);
    case 'aborted':
    case 'config':
      return { ok: false, kind: 'invalid-url', message: `${what}: ${result.message}` };
  }
}

function describeHttp(status: number, message: string, what: string, step: Step): Omit<ConnectionTestResult, 'elapsedMs'> {
  const said = message ? ` The ${step === 'write' ? 'receiver' : 'gateway'} said: ${message}` : '';
  if (status === 401 || status === 403) {
    const hint =
      step === 'delete'
        ? ' Pushes are allowed but deletes are not, so groups of ended calls would stay on the gateway.'
        : step === 'write'
          ? ' Check the authentication (user name and password, or token).'
          : ' Check the user name and password.';
    return { ok: false, kind: 'auth', status, message: `${what} was refused (${status}).${hint}${said}` };
  }
  if (status === 404 && step === 'write') {
    return {
      ok: false,
      kind: 'not-found',
      status,
      message: `${what} got 404: no remote-write endpoint there. Check the path (Prometheus and VictoriaMetrics: /api/v1/write; Prometheus needs --web.enable-remote-write-receiver).${said}`,
    };
  }
  if (status === 404) {
    return {
      ok: false,
      kind: 'not-found',
      status,
      message: `${what} got 404: the URL does not point at a Pushgateway. Check the path prefix of the URL.`,
    };
  }
  return { ok: false, kind: 'http', status, message: `${what} failed with HTTP ${status}.${said}` };
}

function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
