import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildGroupUrl,
  createPushgatewayClient,
  isOutage,
  isRejection,
  MAX_MESSAGE_CHARS,
  type GatewayResult,
  type PushgatewayConfig,
} from '@/utils/export/pushgateway-client';
import { startLocalServer, unusedPort } from './local-server';

const BODY = '# TYPE webrtc_test gauge\nwebrtc_test{kind="audio"} 1\n';

describe('pushgateway client', () => {
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  let config: PushgatewayConfig;

  beforeEach(async () => {
    server = await startLocalServer();
    config = { url: server.url, job: 'webrtc', username: '', password: '', gzip: false, timeoutMs: 2_000 };
  });
  afterEach(async () => {
    await server.close();
  });

  const client = () => createPushgatewayClient(() => config);

  it.each([
    ['a plain value', 'webrtc', { peerConnectionId: 'pc1' }, '/metrics/job/webrtc/peerConnectionId/pc1'],
    ['a value with a slash', 'webrtc', { origin: 'https://a.b/c' }, '/metrics/job/webrtc/origin@base64/aHR0cHM6Ly9hLmIvYw=='],
    ['a value with spaces', 'webrtc', { agent: 'Jane Doe' }, '/metrics/job/webrtc/agent/Jane%20Doe'],
    ['a unicode value', 'webrtc', { agent: 'Zoë 😀' }, '/metrics/job/webrtc/agent/Zo%C3%AB%20%F0%9F%98%80'],
    ['an empty value', 'webrtc', { agent: '' }, '/metrics/job/webrtc/agent@base64/='],
    ['a value whose base64 needs the URL-safe alphabet', 'webrtc', { v: '>>?/' }, '/metrics/job/webrtc/v@base64/Pj4_Lw=='],
    ['reserved characters', 'webrtc', { v: 'a?b#c%d' }, '/metrics/job/webrtc/v/a%3Fb%23c%25d'],
    ['a job with a slash', 'team/voice', { instance: 'x' }, '/metrics/job@base64/dGVhbS92b2ljZQ==/instance/x'],
    ['a job with a space', 'my job', {}, '/metrics/job/my%20job'],
    ['several labels in order', 'j', { instance: 'agent-1', peerConnectionId: 'pc/2' }, '/metrics/job/j/instance/agent-1/peerConnectionId@base64/cGMvMg=='],
  ])('encodes %s in the group path', (_name, job, groupingKey, path) => {
    expect(buildGroupUrl('http://gw:9091/', job, groupingKey)).toEqual({ url: `http://gw:9091${path}` });
  });

  it.each([
    ['an empty URL', '', 'j', {}],
    ['an empty job', 'http://gw', '', {}],
    ['a bad label name', 'http://gw', 'j', { 'bad-name': 'x' }],
    ['a job label in the key', 'http://gw', 'j', { job: 'x' }],
  ])('refuses %s with a clear error', (_name, url, job, groupingKey) => {
    expect(buildGroupUrl(url, job, groupingKey)).toHaveProperty('error');
  });

  it('PUTs the body as text to the group path, keeping a base path prefix', async () => {
    config.url = `${server.url}/gateway/`;
    const result = await client().push({ peerConnectionId: 'a/b', agent: 'é' }, BODY);
    expect(result).toEqual({ kind: 'ok', status: 200 });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'PUT', url: '/gateway/metrics/job/webrtc/peerConnectionId@base64/YS9i/agent/%C3%A9' });
    expect(request!.body.toString('utf8')).toBe(BODY);
    expect(request!.headers['content-encoding']).toBeUndefined();
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('DELETEs the group and GETs /-/ready', async () => {
    server.setResponder((req, res) => res.writeHead(req.method === 'DELETE' ? 202 : 200).end());
    expect(await client().delete({ peerConnectionId: 'pc1' })).toEqual({ kind: 'ok', status: 202 });
    expect(await client().ready()).toEqual({ kind: 'ok', status: 200 });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /metrics/job/webrtc/peerConnectionId/pc1',
      'GET /-/ready',
    ]);
  });

  it('sends a basic auth header with UTF-8 credentials when a user name is set', async () => {
    config.username = 'agent';
    config.password = 'pä:ss';
    await client().push({ instance: 'x' }, BODY);
    await client().ready();
    for (const request of server.requests) {
      const header = request.headers.authorization ?? '';
      expect(header.startsWith('Basic ')).toBe(true);
      expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe('agent:pä:ss');
    }
  });

  it.each([301, 302, 307, 308])('does not follow a %i redirect, so neither body nor credentials reach another host', async (status) => {
    const elsewhere = await startLocalServer();
    try {
      server.setResponder((_req, res) => res.writeHead(status, { location: `${elsewhere.url}/metrics/job/webrtc` }).end());
      config.username = 'agent';
      config.password = 'secret';
      const result = await client().push({ instance: 'x' }, BODY);
      expect(result.kind).toBe('config');
      expect(result.kind === 'config' && result.message).toContain('redirect');
      expect(isRejection(result)).toBe(true);
      expect(await client().ready()).toMatchObject({ kind: 'config' });
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('gzips the body and says so when gzip is on', async () => {
    config.gzip = true;
    const body = BODY.repeat(50);
    await client().push({ instance: 'x' }, body);
    const [request] = server.requests;
    expect(request!.headers['content-encoding']).toBe('gzip');
    expect(request!.body.length).toBeLessThan(Buffer.byteLength(body));
    expect(gunzipSync(request!.body).toString('utf8')).toBe(body);
  });

  it('reads the settings on every request', async () => {
    const c = client();
    await c.push({ instance: 'x' }, BODY);
    config.job = 'other';
    await c.push({ instance: 'x' }, BODY);
    expect(server.requests.map((r) => r.url)).toEqual(['/metrics/job/webrtc/instance/x', '/metrics/job/other/instance/x']);
  });

  it("carries the gateway's parse error on a 400", async () => {
    server.setResponder((_req, res) =>
      res.writeHead(400).end('  text format parsing error in line 2: expected float as value, got "x"\n'),
    );
    expect(await client().push({ instance: 'x' }, 'webrtc_test x\n')).toEqual({
      kind: 'http',
      status: 400,
      message: 'text format parsing error in line 2: expected float as value, got "x"',
    });
  });

  it('caps a long error page', async () => {
    server.setResponder((_req, res) => res.writeHead(502).end('<html>'.padEnd(5_000, 'x')));
    const result = await client().push({ instance: 'x' }, BODY);
    expect(result.kind).toBe('http');
    expect((result as { message: string }).message).toHaveLength(MAX_MESSAGE_CHARS + 1);
  });

  it('gives up after the timeout when the gateway stalls', async () => {
    server.setResponder(() => {
      // Never answers.
    });
    config.timeoutMs = 200;
    const result = await client().push({ instance: 'x' }, BODY);
    expect(result).toEqual({ kind: 'timeout', message: 'No answer within 200 ms' });
  });

  it('reports a refused connection as a network failure with its code', async () => {
    config.url = `http://127.0.0.1:${await unusedPort()}`;
    const result = await client().push({ instance: 'x' }, BODY);
    expect(result).toMatchObject({ kind: 'network', code: 'ECONNREFUSED' });
  });

  it("reports the caller's cancellation as aborted, not as an outage", async () => {
    server.setResponder(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const pending = client().push({ instance: 'x' }, BODY, controller.signal);
    setTimeout(() => controller.abort(), 20);
    const result = await pending;
    expect(result.kind).toBe('aborted');
    expect(isOutage(result)).toBe(false);
  });

  it('sends nothing and says why when not configured or the key is bad', async () => {
    config.url = '';
    expect(client().configured()).toBe(false);
    expect(await client().push({ instance: 'x' }, BODY)).toMatchObject({ kind: 'config' });
    expect(await client().ready()).toMatchObject({ kind: 'config' });
    config.url = server.url;
    expect(await client().push({ 'no-dashes': 'x' }, BODY)).toMatchObject({ kind: 'config' });
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [{ kind: 'ok', status: 200 }, false, false],
    [{ kind: 'http', status: 400, message: '' }, false, true],
    [{ kind: 'http', status: 401, message: '' }, false, true],
    [{ kind: 'http', status: 404, message: '' }, false, true],
    [{ kind: 'http', status: 408, message: '' }, true, false],
    [{ kind: 'http', status: 429, message: '' }, true, false],
    [{ kind: 'http', status: 500, message: '' }, true, false],
    [{ kind: 'http', status: 503, message: '' }, true, false],
    [{ kind: 'timeout', message: '' }, true, false],
    [{ kind: 'network', message: '' }, true, false],
    [{ kind: 'aborted', message: '' }, false, false],
    [{ kind: 'config', message: '' }, false, true],
  ] as Array<[GatewayResult, boolean, boolean]>)('classifies %o as outage=%s rejection=%s', (result, outage, rejection) => {
    expect(isOutage(result)).toBe(outage);
    expect(isRejection(result)).toBe(rejection);
  });
});
