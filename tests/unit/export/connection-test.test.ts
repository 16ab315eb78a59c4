import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  gatewayPermissionPattern,
  hasGatewayPermission,
  REMOTE_WRITE_TEST_METRIC,
  TEST_GROUP_LABEL,
  testConnection,
  testRemoteWrite,
} from '@/utils/export/connection-test';
import { decodeRemoteWriteBody } from './remote-write-decoder';
import { connectionTestResultSchema } from '@/utils/messaging/ui-types';
import { gatewaySchema, remoteWriteSchema } from '@/utils/settings/settings-schema';
import { startLocalServer, unusedPort, type Responder } from './local-server';

describe('connection test', () => {
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  const allowed = async () => true;

  beforeEach(async () => {
    fakeBrowser.reset();
    server = await startLocalServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const gateway = (overrides: Partial<ReturnType<typeof gatewaySchema.parse>> = {}) =>
    gatewaySchema.parse({ url: server.url, job: 'webrtc', ...overrides });
  const run = (gw = gateway(), deps: Partial<Parameters<typeof testConnection>[1]> = {}) =>
    testConnection(gw, { hasPermission: allowed, timeoutMs: 1_000, randomId: () => 'r1', ...deps }).then((result) =>
      connectionTestResultSchema.parse(result),
    );

  it('checks readiness, pushes a test group and deletes it again', async () => {
    const result = await run();
    expect(result).toMatchObject({ ok: true, kind: 'ok' });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /-/ready',
      `PUT /metrics/job/webrtc/${TEST_GROUP_LABEL}/r1`,
      `DELETE /metrics/job/webrtc/${TEST_GROUP_LABEL}/r1`,
    ]);
  });

  it.each([
    ['empty', ''],
    ['not a URL', 'pushgateway:9091'],
    ['another scheme', 'ftp://gw.example.com'],
  ])('rejects an %s URL before any request', async (_name, url) => {
    const result = await run({ ...gateway(), url });
    expect(result).toMatchObject({ ok: false, kind: 'invalid-url' });
    expect(server.requests).toHaveLength(0);
  });

  it('says which origin lacks permission and asks for nothing on the network', async () => {
    const hasPermission = vi.fn(async () => false);
    const result = await run(gateway(), { hasPermission });
    expect(hasPermission).toHaveBeenCalledWith(server.url);
    expect(result.kind).toBe('permission');
    expect(result.message).toContain(server.url);
    expect(result.message).toContain('http://127.0.0.1/*');
    expect(server.requests).toHaveLength(0);
  });

  it('names host and port when the connection is refused', async () => {
    const port = await unusedPort();
    const result = await run({ ...gateway(), url: `http://127.0.0.1:${port}` });
    expect(result).toMatchObject({ ok: false, kind: 'refused' });
    expect(result.message).toContain(`127.0.0.1:${port}`);
  });

  it('says the host could not be reached when the fetch fails without detail, as in a browser', async () => {
    const fetchImpl = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const result = await run({ ...gateway(), url: 'https://gw.example.com' }, { fetchImpl });
    expect(result).toMatchObject({ ok: false, kind: 'network' });
    expect(result.message).toBe('Could not reach gw.example.com:443 (DNS, refused or offline; for https also a certificate problem).');
  });

  it('reports a timeout when the gateway does not answer', async () => {
    server.setResponder(() => {
      // Never answers.
    });
    const result = await run(gateway(), { timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, kind: 'timeout' });
  });

  const answer =
    (status: number, body = '', only?: string): Responder =>
    (req, res) => {
      if (only && req.method !== only) res.writeHead(req.method === 'DELETE' ? 202 : 200).end();
      else res.writeHead(status).end(body);
    };

  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not-found'],
    [500, 'http'],
  ])('turns %i on /-/ready into %s', async (status, kind) => {
    server.setResponder(answer(status, 'nope'));
    const result = await run();
    expect(result).toMatchObject({ ok: false, kind, status });
    expect(server.requests).toHaveLength(1);
  });

  it("shows the gateway's message when the test push is refused", async () => {
    server.setResponder(answer(400, 'pushed metrics are invalid or inconsistent', 'PUT'));
    const result = await run();
    expect(result).toMatchObject({ ok: false, kind: 'http', status: 400 });
    expect(result.message).toContain('pushed metrics are invalid or inconsistent');
  });

  it('catches credentials that may push but not delete', async () => {
    server.setResponder(answer(403, '', 'DELETE'));
    const result = await run();
    expect(result).toMatchObject({ ok: false, kind: 'auth', status: 403 });
    expect(result.message).toContain('deletes are not');
  });

  it('asks the browser for the port-less match pattern of the gateway', async () => {
    const contains = vi
      .spyOn(fakeBrowser.permissions, 'contains')
      // fake-browser types contains() as resolving to void; the real API resolves to a boolean.
      .mockImplementation((async () => true) as unknown as typeof fakeBrowser.permissions.contains);
    expect(await hasGatewayPermission('http://127.0.0.1:9091')).toBe(true);
    expect(contains).toHaveBeenCalledWith({ origins: ['http://127.0.0.1/*'] });
    expect(gatewayPermissionPattern('https://gw.example.com:8443')).toBe('https://gw.example.com/*');
  });
});

describe('remote-write connection test', () => {
  let server: Awaited<ReturnType<typeof startLocalServer>>;

  beforeEach(async () => {
    fakeBrowser.reset();
    server = await startLocalServer((_req, res) => res.writeHead(204).end());
  });
  afterEach(async () => {
    await server.close();
  });

  const remoteWrite = (overrides: Record<string, unknown> = {}) =>
    remoteWriteSchema.parse({ url: `${server.url}/api/v1/write`, staticLabels: { site: 'lab' }, ...overrides });
  const run = (settings = remoteWrite()) =>
    testRemoteWrite(settings, 'webrtc', { hasPermission: async () => true, timeoutMs: 1_000, now: () => 1_700_000_000_000 }).then(
      (result) => connectionTestResultSchema.parse(result),
    );

  it('POSTs one remote-write sample with the bearer token and says the receiver took it', async () => {
    const result = await run(remoteWrite({ auth: 'bearer', bearerToken: 'tok' }));
    expect(result).toMatchObject({ ok: true, kind: 'ok', status: 204 });
    expect(result.message).toContain('accepted a test sample (HTTP 204)');
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/write' });
    expect(request!.headers).toMatchObject({ authorization: 'Bearer tok', 'content-encoding': 'snappy' });
    expect(decodeRemoteWriteBody(new Uint8Array(request!.body))).toEqual([
      { name: REMOTE_WRITE_TEST_METRIC, labels: { __order__: '__name__,job,site', job: 'webrtc', site: 'lab' }, samples: [{ value: 1, timestampMs: 1_700_000_000_000 }] },
    ]);
  });

  it.each([
    [404, 'not-found', 'no remote-write endpoint there'],
    [401, 'auth', 'Check the authentication'],
    [400, 'http', 'The receiver said: out of bounds'],
  ])('says what a %i means', async (status, kind, message) => {
    server.setResponder((_req, res) => res.writeHead(status).end('out of bounds'));
    const result = await run();
    expect(result).toMatchObject({ ok: false, kind, status });
    expect(result.message).toContain(message);
  });

  it('refuses an empty URL before any request', async () => {
    expect(await run(remoteWrite({ url: '' }))).toMatchObject({ ok: false, kind: 'invalid-url' });
    expect(server.requests).toHaveLength(0);
  });
});
