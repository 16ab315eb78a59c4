import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../e2e/support/fault-proxy';
import { startLocalServer } from './local-server';

/** Fetch that reports a failure as a string instead of throwing, with a short timeout. */
async function call(url: string, init: RequestInit = {}, timeoutMs = 1_000): Promise<{ status: number; text: string } | string> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return error instanceof DOMException ? error.name : (cause?.code ?? String(error));
  }
}

describe('fault proxy', () => {
  let target: Awaited<ReturnType<typeof startLocalServer>>;
  let proxy: FaultProxy;

  beforeEach(async () => {
    target = await startLocalServer((req, res) => res.writeHead(req.method === 'DELETE' ? 202 : 200).end(`target ${req.method} ${req.url}`));
    proxy = await startFaultProxy(`${target.url}/prefix`, { stallMs: 300 });
  });
  afterEach(async () => {
    await proxy.close();
    await target.close();
  });

  it('forwards method, path, body and headers in pass mode and counts by method and path', async () => {
    const answer = await call(`${proxy.url}/metrics/job/j?x=1`, { method: 'PUT', body: 'm 1\n', headers: { 'X-Test': 'yes' } });
    expect(answer).toEqual({ status: 200, text: 'target PUT /prefix/metrics/job/j?x=1' });
    expect(target.requests[0]).toMatchObject({ method: 'PUT', url: '/prefix/metrics/job/j?x=1' });
    expect(target.requests[0]!.body.toString()).toBe('m 1\n');
    expect(target.requests[0]!.headers['x-test']).toBe('yes');
    await call(`${proxy.url}/metrics/job/j`, { method: 'DELETE' });
    expect(proxy.requests).toEqual({ 'PUT /metrics/job/j': 1, 'DELETE /metrics/job/j': 1 });
    expect(proxy.count('PUT')).toBe(1);
    expect(proxy.count(undefined, /^\/metrics\//)).toBe(2);
  });

  it('answers an injected status only on matching paths and forwards the rest', async () => {
    await proxy.setMode({ status: 400, paths: /\/metrics\// });
    expect(await call(`${proxy.url}/metrics/job/j`, { method: 'PUT', body: 'x' })).toEqual({
      status: 400,
      text: 'text format parsing error in line 1: fault-proxy injected 400\n',
    });
    expect(await call(`${proxy.url}/-/ready`)).toMatchObject({ status: 200 });
    await proxy.setMode({ status: 500 });
    expect(await call(`${proxy.url}/-/ready`)).toMatchObject({ status: 500 });
    expect(target.requests.map((r) => r.url)).toEqual(['/prefix/-/ready']);
  });

  it('forwards a request only after the delay it is given, so a later request overtakes it', async () => {
    await proxy.setMode({ delayMs: (method) => (method === 'PUT' ? 200 : 0) });
    const put = call(`${proxy.url}/metrics/job/j`, { method: 'PUT', body: 'm 1\n' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await call(`${proxy.url}/metrics/job/j`, { method: 'DELETE' })).toEqual({ status: 202, text: 'target DELETE /prefix/metrics/job/j' });
    expect(await put).toEqual({ status: 200, text: 'target PUT /prefix/metrics/job/j' });
    expect(target.requests.map((r) => r.method)).toEqual(['DELETE', 'PUT']);
    expect(target.requests[1]!.body.toString()).toBe('m 1\n');
  });

  it('holds a request in stall mode so that the client times out', async () => {
    await proxy.setMode('stall');
    expect(await call(`${proxy.url}/-/ready`, {}, 100)).toBe('TimeoutError');
    expect(proxy.count('GET', /ready/)).toBe(1);
    expect(target.requests).toHaveLength(0);
  });

  it('drops a stalled request after the stall time', async () => {
    await proxy.setMode('stall');
    expect(await call(`${proxy.url}/-/ready`, {}, 2_000)).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it('drops the connection in reset mode', async () => {
    await proxy.setMode('reset');
    expect(await call(`${proxy.url}/-/ready`)).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
  });

  it('refuses connections, then accepts them again on the same port', async () => {
    await call(`${proxy.url}/-/ready`);
    await proxy.setMode('refuse');
    expect(await call(`${proxy.url}/-/ready`)).toBe('ECONNREFUSED');
    await proxy.setMode('pass');
    expect(await call(`${proxy.url}/-/ready`)).toMatchObject({ status: 200 });
    expect(proxy.count()).toBe(2);
  });
});
