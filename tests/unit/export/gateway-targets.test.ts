import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  createGatewayTargets,
  GATEWAY_TARGET_DROPS,
  GATEWAY_TARGETS_STORAGE_KEY,
  MAX_RETIRED_CREDENTIALS,
  sameGatewayAndJob,
  type GatewayAccess,
} from '@/utils/export/gateway-targets';
import { createOutbox } from '@/utils/export/outbox';
import { createDelivery } from '@/utils/export/delivery';
import { createPushgatewayClient } from '@/utils/export/pushgateway-client';
import { createDropCounter } from '@/utils/resilience/drop-counter';
import { createNetworkCircuitBreaker } from '@/utils/resilience/network-circuit-breaker';
import { reliabilitySchema } from '@/utils/settings/settings-schema';
import { createMapArea } from './helpers';
import { startLocalServer } from './local-server';

const A: GatewayAccess = { url: 'https://a.example:9091', job: 'webrtc', username: 'alice', password: 'old-secret' };

function book(area = createMapArea()) {
  let n = 0;
  return createGatewayTargets({ area, drops: createDropCounter(), newRef: () => `ref${++n}` });
}

describe('gateway targets', () => {
  beforeEach(() => fakeBrowser.reset());

  it('names no earlier target on first use nor when nothing that locates groups changed', () => {
    const targets = book();
    expect(targets.sync(A)).toBeNull();
    expect(targets.sync({ ...A })).toBeNull();
    expect(targets.sync({ ...A, password: 'new' })).toBeNull();
    expect(targets.sync({ ...A, url: 'https://a.example:9091/' })).toBeNull();
  });

  it.each([
    ['the URL', { url: 'https://b.example:9091' }],
    ['the job', { job: 'webrtc-eu' }],
  ])('names the earlier target, with its credentials, when %s changes', (_what, change) => {
    const targets = book();
    targets.sync(A);
    const earlier = targets.sync({ ...A, ...change, username: 'bob', password: 'new-secret' });
    expect(earlier).toMatchObject({ url: A.url, job: A.job });
    expect(targets.resolve(earlier!)).toEqual(A);
    expect(targets.resolve(targets.current())).toMatchObject({ username: 'bob', password: 'new-secret', ...change });
  });

  it('remembers the last target across a worker restart, so a change made while it slept is seen', async () => {
    const area = createMapArea();
    const first = book(area);
    first.sync(A);
    await first.flush();
    const second = book(area);
    await second.restore();
    const earlier = second.sync({ ...A, url: 'https://b.example' });
    expect(earlier?.url).toBe(A.url);
    expect(second.resolve(earlier!).password).toBe('old-secret');
    expect(JSON.stringify(area.data.get(GATEWAY_TARGETS_STORAGE_KEY))).toContain('old-secret');
  });

  it('forgets earlier credentials no pending entry uses, and the oldest beyond the cap (counted)', () => {
    const drops = createDropCounter();
    let n = 0;
    const targets = createGatewayTargets({ area: createMapArea(), drops, newRef: () => `ref${++n}` });
    const earlier = [];
    targets.sync(A);
    for (let i = 0; i <= MAX_RETIRED_CREDENTIALS; i++) earlier.push(targets.sync({ ...A, url: `https://g${i}.example`, password: `p${i}` })!);
    expect(drops.snapshot()[GATEWAY_TARGET_DROPS.credentialsEvicted]).toBe(1);
    expect(targets.resolve(earlier[0]!).password).toBe('');
    expect(targets.resolve(earlier[1]!).password).toBe('p0');
    targets.prune([earlier[2]!]);
    expect(targets.resolve(earlier[1]!).password).toBe('');
    expect(targets.resolve(earlier[2]!).password).toBe('p1');
  });

  it('treats URLs that differ only by a trailing slash as the same gateway', () => {
    expect(sameGatewayAndJob({ url: 'http://x:1/', job: 'j' }, { url: 'http://x:1', job: 'j' })).toBe(true);
    expect(sameGatewayAndJob({ url: 'http://x:1', job: 'j' }, { url: 'http://x:1', job: 'k' })).toBe(false);
  });
});

describe('delivery to an earlier target', () => {
  let oldGateway: Awaited<ReturnType<typeof startLocalServer>>;
  let newGateway: Awaited<ReturnType<typeof startLocalServer>>;

  beforeEach(async () => {
    fakeBrowser.reset();
    [oldGateway, newGateway] = await Promise.all([startLocalServer(), startLocalServer()]);
  });
  afterEach(async () => {
    await Promise.all([oldGateway.close(), newGateway.close()]);
  });

  function setup() {
    const drops = createDropCounter();
    const reliability = reliabilitySchema.parse({ breakerFailureThreshold: 1, halfOpenInitialDelayMs: 100 });
    let access: GatewayAccess = { url: oldGateway.url, job: 'webrtc', username: 'alice', password: 'old-secret' };
    const targets = book();
    targets.sync(access);
    const outbox = createOutbox({ area: createMapArea(), limits: () => ({ maxGroups: 100, maxBytes: 1_000_000 }), drops });
    const client = createPushgatewayClient(() => ({ ...access, gzip: false, timeoutMs: 2_000 }));
    const breaker = createNetworkCircuitBreaker({ area: createMapArea(), settings: reliability });
    const oldBreaker = createNetworkCircuitBreaker({ area: createMapArea(), settings: reliability });
    const delivery = createDelivery({
      outbox,
      client,
      breaker,
      drops,
      area: createMapArea(),
      retryDelayMs: 60_000,
      route: (target) => (sameGatewayAndJob(target, targets.current()) ? null : { to: targets.resolve(target), breaker: oldBreaker }),
    });
    return {
      outbox,
      delivery,
      oldBreaker,
      /** Changes the settings' gateway, as applySettings does: pending deletes bound to the old one. */
      moveTo(next: GatewayAccess) {
        access = next;
        const earlier = targets.sync(next)!;
        outbox.pinDeletes(earlier);
        return earlier;
      },
    };
  }

  it('deletes at the old gateway with the old credentials, and pushes the next snapshot to the new one', async () => {
    const { outbox, delivery, moveTo } = setup();
    outbox.remove('ended', { peer_connection_id: 'ended' });
    const earlier = moveTo({ url: newGateway.url, job: 'webrtc-2', username: 'bob', password: 'new-secret' });
    outbox.remove('live@x', { peer_connection_id: 'live' }, earlier);
    outbox.put('live', { peer_connection_id: 'live' }, '# TYPE webrtc_x gauge\nwebrtc_x 1\n');
    await delivery.flush();

    const oldCalls = oldGateway.requests.map((r) => `${r.method} ${r.url}`).sort();
    expect(oldCalls).toEqual(['DELETE /metrics/job/webrtc/peer_connection_id/ended', 'DELETE /metrics/job/webrtc/peer_connection_id/live']);
    for (const request of oldGateway.requests) {
      expect(Buffer.from(request.headers.authorization!.slice(6), 'base64').toString()).toBe('alice:old-secret');
    }
    expect(newGateway.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /metrics/job/webrtc-2/peer_connection_id/live']);
    expect(Buffer.from(newGateway.requests[0]!.headers.authorization!.slice(6), 'base64').toString()).toBe('bob:new-secret');
    expect(outbox.stats()).toMatchObject({ groups: 0, pendingDeletes: 0 });
  });

  it('keeps the deletes for an unreachable old gateway waiting, without holding up the new one', async () => {
    const { outbox, delivery, moveTo, oldBreaker } = setup();
    oldGateway.setResponder((_req, res) => res.writeHead(503).end('down'));
    const earlier = moveTo({ url: newGateway.url, job: 'webrtc', username: '', password: '' });
    outbox.remove('a@x', { peer_connection_id: 'a' }, earlier);
    outbox.remove('b@x', { peer_connection_id: 'b' }, earlier);
    outbox.put('c', { peer_connection_id: 'c' }, '# TYPE webrtc_x gauge\nwebrtc_x 1\n');
    await delivery.flush();
    expect(oldBreaker.state()).toBe('open');
    expect(outbox.stats().pendingDeletes).toBe(2);
    expect(newGateway.requests.map((r) => r.method)).toEqual(['PUT']);

    // The old gateway comes back: the waiting deletes go once its breaker lets a probe through
    // (after its first half-open delay, 100 ms plus up to 20 % jitter; the sockets need real time).
    oldGateway.setResponder((_req, res) => res.writeHead(202).end());
    await new Promise((resolve) => setTimeout(resolve, 170));
    await delivery.flush();
    await delivery.flush();
    expect(outbox.stats().pendingDeletes).toBe(0);
    expect(oldGateway.requests.filter((r) => r.method === 'DELETE').length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the bound target of a pending delete across a restore', async () => {
    const area = createMapArea();
    const drops = createDropCounter();
    const outbox = createOutbox({ area, limits: () => ({ maxGroups: 10, maxBytes: 10_000 }), drops, persistDelayMs: 0 });
    const target = { url: 'https://a.example', job: 'j', credentialsRef: 'ref1' };
    outbox.remove('g', { peer_connection_id: 'g' });
    expect(outbox.pinDeletes(target)).toBe(1);
    await outbox.flush();
    const restored = createOutbox({ area, limits: () => ({ maxGroups: 10, maxBytes: 10_000 }), drops });
    await restored.restore();
    expect(restored.peek()[0]?.target).toEqual(target);
    expect(restored.pinnedTargets()).toEqual([target]);
  });
});
