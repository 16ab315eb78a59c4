import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDelivery, DELIVERY_DROPS, DELIVERY_STORAGE_KEY } from '@/utils/export/delivery';
import { createOutbox, type Outbox } from '@/utils/export/outbox';
import type { GatewayOverride, GatewayResult, GroupingKey, PushgatewayClient } from '@/utils/export/pushgateway-client';
import type { GatewayTarget } from '@/utils/export/gateway-targets';
import { deliveryHealthSchema } from '@/utils/messaging/health';
import { createDropCounter, type DropCounter } from '@/utils/resilience/drop-counter';
import { createNetworkCircuitBreaker, type NetworkCircuitBreaker } from '@/utils/resilience/network-circuit-breaker';
import { reliabilitySchema } from '@/utils/settings/settings-schema';
import { createMapArea } from './helpers';

const OK: GatewayResult = { kind: 'ok', status: 200 };
const DOWN: GatewayResult = { kind: 'http', status: 503, message: 'Service Unavailable' };

interface Call {
  method: 'PUT' | 'DELETE';
  key: GroupingKey;
  body?: string;
}

/** A client that records calls and answers with `handler`, tracking how many are in flight. */
function createFakeClient() {
  const calls: Call[] = [];
  let handler: (call: Call) => GatewayResult | Promise<GatewayResult> = () => OK;
  let configured = true;
  let inFlight = 0;
  let maxInFlight = 0;
  async function run(call: Call): Promise<GatewayResult> {
    calls.push(call);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await handler(call);
    } finally {
      inFlight -= 1;
    }
  }
  const client: PushgatewayClient = {
    push: (key, body) => run({ method: 'PUT', key, body }),
    delete: (key) => run({ method: 'DELETE', key }),
    ready: async () => OK,
    configured: () => configured,
  };
  return {
    client,
    calls,
    answer(next: typeof handler) {
      handler = next;
    },
    setConfigured(value: boolean) {
      configured = value;
    },
    maxInFlight: () => maxInFlight,
  };
}

/** A promise the test resolves by hand, to hold a request in flight. */
function gate() {
  let open!: (result: GatewayResult) => void;
  const promise = new Promise<GatewayResult>((resolve) => (open = resolve));
  return { promise, open };
}

const key = (pc: string) => ({ peerConnectionId: pc });

describe('delivery', () => {
  let area: ReturnType<typeof createMapArea>;
  let drops: DropCounter;
  let outbox: Outbox;
  let breaker: NetworkCircuitBreaker;
  let fake: ReturnType<typeof createFakeClient>;
  const settings = reliabilitySchema.parse({ breakerFailureThreshold: 3, halfOpenInitialDelayMs: 1_000, halfOpenMaxDelayMs: 8_000 });

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
    area = createMapArea();
    drops = createDropCounter();
    outbox = createOutbox({ area, limits: () => ({ maxGroups: 100, maxBytes: 1_000_000 }), drops });
    breaker = createNetworkCircuitBreaker({ area, settings, random: () => 0 });
    fake = createFakeClient();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (overrides: Partial<Parameters<typeof createDelivery>[0]> = {}) =>
    createDelivery({ outbox, client: fake.client, breaker, drops, area, ...overrides });

  it('sends one push with the last body for ten snapshots of a group', async () => {
    const delivery = make();
    for (let i = 1; i <= 10; i += 1) outbox.put('g1', key('pc1'), `v ${i}\n`);
    await delivery.flush();
    expect(fake.calls).toEqual([{ method: 'PUT', key: key('pc1'), body: 'v 10\n' }]);
    expect(delivery.health()).toMatchObject({ pushesOk: 1, outboxGroups: 0, lastSuccessAt: Date.now() });
  });

  it('keeps at most four requests in flight', async () => {
    const delivery = make();
    for (let i = 0; i < 12; i += 1) outbox.put(`g${i}`, key(`pc${i}`), 'x 1\n');
    fake.answer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return OK;
    });
    const done = delivery.flush();
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(fake.calls).toHaveLength(12);
    expect(fake.maxInFlight()).toBe(4);
  });

  it('runs once more after a flush requested while one runs, never two at once', async () => {
    const delivery = make();
    const held = gate();
    fake.answer(() => held.promise);
    outbox.put('g1', key('pc1'), 'first\n');
    const first = delivery.flush();
    await vi.advanceTimersByTimeAsync(0);
    outbox.put('g2', key('pc2'), 'second\n');
    const second = delivery.flush();
    const third = delivery.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls).toHaveLength(1);
    fake.answer(() => OK);
    held.open(OK);
    await Promise.all([first, second, third]);
    expect(fake.calls.map((call) => call.body)).toEqual(['first\n', 'second\n']);
    expect(fake.maxInFlight()).toBe(1);
  });

  it('sends a delete only after the push in flight for its group has finished', async () => {
    const delivery = make();
    const held = gate();
    fake.answer((call) => (call.method === 'PUT' ? held.promise : { kind: 'ok', status: 202 }));
    outbox.put('g1', key('pc1'), 'state\n');
    const first = delivery.flush();
    await vi.advanceTimersByTimeAsync(0);
    outbox.remove('g1', key('pc1'));
    const second = delivery.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.map((call) => call.method)).toEqual(['PUT']);
    held.open(OK);
    await Promise.all([first, second]);
    expect(fake.calls.map((call) => call.method)).toEqual(['PUT', 'DELETE']);
    expect(delivery.health()).toMatchObject({ pushesOk: 1, deletesOk: 1, pendingDeletes: 0 });
  });

  it('records a 400 for one group with the gateway message and delivers the others', async () => {
    const delivery = make();
    const parseError = 'text format parsing error in line 3: unexpected end of input stream';
    fake.answer((call) => (call.key.peerConnectionId === 'bad' ? { kind: 'http', status: 400, message: parseError } : OK));
    outbox.put('a', key('a'), 'a 1\n');
    outbox.put('bad', key('bad'), 'broken');
    outbox.put('c', key('c'), 'c 1\n');
    await delivery.flush();
    expect(fake.calls.map((call) => call.key.peerConnectionId)).toEqual(['a', 'bad', 'c']);
    const health = delivery.health();
    expect(health).toMatchObject({ pushesOk: 2, pushesFailed: 1, rejectedGroups: 1, breaker: 'closed' });
    expect(health.lastError).toEqual({ at: Date.now(), kind: 'http', status: 400, message: parseError, groupId: 'bad' });
    expect(drops.snapshot()).toEqual({ [DELIVERY_DROPS.pushRejected]: 1 });

    await delivery.flush();
    expect(fake.calls).toHaveLength(3);
    outbox.put('bad', key('bad'), 'bad 1\n');
    fake.answer(() => OK);
    await delivery.flush();
    expect(fake.calls.at(-1)).toEqual({ method: 'PUT', key: key('bad'), body: 'bad 1\n' });
    expect(delivery.health().rejectedGroups).toBe(0);
  });

  it('retries groups refused for bad credentials once the settings are fixed', async () => {
    const delivery = make();
    fake.answer(() => ({ kind: 'http', status: 401, message: 'Unauthorized' }));
    outbox.put('a', key('a'), 'a 1\n');
    outbox.remove('b', key('b'));
    await delivery.flush();
    expect(delivery.health()).toMatchObject({ rejectedGroups: 2, breaker: 'closed' });
    fake.answer(() => OK);
    await delivery.retryRejected();
    expect(fake.calls.map((call) => call.method)).toEqual(['PUT', 'DELETE', 'PUT', 'DELETE']);
    expect(delivery.health()).toMatchObject({ rejectedGroups: 0, outboxGroups: 0, pendingDeletes: 0 });
  });

  it('sends nothing but one probe at a time during an outage, then delivers the latest state of everything', async () => {
    const delivery = make();
    fake.answer(() => DOWN);
    for (let i = 0; i < 8; i += 1) outbox.put(`g${i}`, key(`pc${i}`), 'v 1\n');
    await delivery.flush();
    // Four requests were already in flight when the third failure opened the breaker.
    expect(fake.calls).toHaveLength(4);
    expect(delivery.health().breaker).toBe('open');

    // New snapshots and an ended connection keep arriving; flushes send nothing while open.
    for (let i = 0; i < 8; i += 1) outbox.put(`g${i}`, key(`pc${i}`), 'v 2\n');
    outbox.remove('g7', key('pc7'));
    for (let i = 0; i < 5; i += 1) await delivery.flush();
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toHaveLength(4);

    // The delivery wakes itself for the half-open probe: exactly one request, which fails.
    await vi.advanceTimersByTimeAsync(2);
    expect(fake.calls).toHaveLength(5);
    expect(delivery.health().breaker).toBe('open');
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fake.calls).toHaveLength(5);

    // The gateway is back: the next probe succeeds and the rest follows.
    fake.answer((call) => (call.method === 'DELETE' ? { kind: 'ok', status: 202 } : OK));
    await vi.advanceTimersByTimeAsync(2);
    const recovered = fake.calls.slice(5);
    expect(recovered).toHaveLength(8);
    expect(recovered.filter((call) => call.method === 'PUT').every((call) => call.body === 'v 2\n')).toBe(true);
    expect(recovered.filter((call) => call.method === 'DELETE').map((call) => call.key)).toEqual([key('pc7')]);
    expect(delivery.health()).toMatchObject({
      breaker: 'closed',
      pushesOk: 7,
      deletesOk: 1,
      pushesFailed: 5,
      outboxGroups: 0,
      pendingDeletes: 0,
    });
    expect(drops.total()).toBe(0);
  });

  it('does not keep waking itself while the breaker is open and nothing is pending', async () => {
    const delivery = make();
    for (let i = 0; i < 3; i += 1) await breaker.execute(async () => DOWN);
    expect(breaker.state()).toBe('open');
    await vi.advanceTimersByTimeAsync(5_000);
    await delivery.flush();
    await outbox.flush();
    expect(vi.getTimerCount()).toBe(0);
    expect(fake.calls).toHaveLength(0);
  });

  it('retries a failed push by itself while the breaker is still closed', async () => {
    const delivery = make({ retryDelayMs: 500 });
    fake.answer(() => ({ kind: 'timeout', message: 'No answer within 5000 ms' }));
    outbox.put('g1', key('pc1'), 'v 1\n');
    await delivery.flush();
    expect(delivery.health().lastError).toMatchObject({ kind: 'timeout', groupId: 'g1' });
    fake.answer(() => OK);
    await vi.advanceTimersByTimeAsync(499);
    expect(fake.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toHaveLength(2);
    expect(delivery.health()).toMatchObject({ pushesOk: 1, outboxGroups: 0 });
  });

  it('carries the self-metrics group like any other', async () => {
    const delivery = make();
    outbox.put('self', { instance: 'agent-1' }, '# TYPE webrtc_exporter_up gauge\nwebrtc_exporter_up 1\n');
    await delivery.flush();
    expect(fake.calls).toEqual([
      { method: 'PUT', key: { instance: 'agent-1' }, body: '# TYPE webrtc_exporter_up gauge\nwebrtc_exporter_up 1\n' },
    ]);
  });

  it('sends nothing and keeps everything while no gateway is configured', async () => {
    const delivery = make();
    fake.setConfigured(false);
    outbox.put('g1', key('pc1'), 'v 1\n');
    await delivery.flush();
    expect(fake.calls).toHaveLength(0);
    expect(delivery.health()).toMatchObject({ configured: false, outboxGroups: 1 });
  });

  it('reports health that matches the contract schema', async () => {
    const delivery = make();
    outbox.put('g1', key('pc1'), 'v 1\n');
    outbox.remove('g2', key('pc2'));
    expect(deliveryHealthSchema.parse(delivery.health())).toMatchObject({ outboxGroups: 1, outboxBytes: 4, pendingDeletes: 1 });
  });

  it('shows last success, last error and counts again after a worker restart', async () => {
    const delivery = make();
    fake.answer((call) => (call.key.peerConnectionId === 'bad' ? { kind: 'http', status: 400, message: 'bad' } : OK));
    outbox.put('a', key('a'), 'a 1\n');
    outbox.put('bad', key('bad'), 'x');
    await delivery.flush();
    await delivery.persist();
    const before = delivery.health();

    const restarted = make();
    await restarted.restore();
    const after = restarted.health();
    for (const field of ['pushesOk', 'pushesFailed', 'deletesOk', 'lastAttemptAt', 'lastSuccessAt', 'lastError'] as const) {
      expect(after[field]).toEqual(before[field]);
    }
    expect(after.pushesOk).toBe(1);
  });

  it('counts corrupt stored counters and starts from zero', async () => {
    area.data.set(DELIVERY_STORAGE_KEY, { pushesOk: 'many' });
    const delivery = make();
    await delivery.restore();
    expect(delivery.health().pushesOk).toBe(0);
    expect(drops.snapshot()).toEqual({ [DELIVERY_DROPS.statsCorrupt]: 1 });
  });
});

/**
 * A Pushgateway as the race needs it: groups per gateway URL and job, a DELETE applied when it
 * arrives, a PUT applied only when the test lets it land (a slow upload), so the order in which
 * requests land decides what stays, as in the real gateway.
 */
function createFakeGateways() {
  const current = { url: 'http://old:9091', job: 'webrtc' };
  const groups = new Set<string>();
  const sent: string[] = [];
  const held: Array<{ group: string; land: () => void }> = [];
  const at = (to: GatewayOverride | undefined, groupingKey: GroupingKey) =>
    `${to?.url ?? current.url}|${to?.job ?? current.job}|${JSON.stringify(groupingKey)}`;
  const client: PushgatewayClient = {
    // Like the real client: the gateway is read when the request starts.
    push(groupingKey, _body, _signal, to) {
      const group = at(to, groupingKey);
      sent.push(`PUT ${group}`);
      return new Promise((resolve) =>
        held.push({
          group,
          land: () => {
            groups.add(group);
            resolve(OK);
          },
        }),
      );
    },
    async delete(groupingKey, _signal, to) {
      const group = at(to, groupingKey);
      sent.push(`DELETE ${group}`);
      groups.delete(group);
      return { kind: 'ok', status: 202 };
    },
    ready: async () => OK,
    configured: () => true,
  };
  return {
    client,
    current,
    groups,
    sent,
    group: (url: string, groupingKey: GroupingKey) => `${url}|${current.job}|${JSON.stringify(groupingKey)}`,
    /** Lets the PUTs held so far land, in the order sent: those of `only` when given. */
    land(only?: GroupingKey) {
      const landing = held.filter((put) => only === undefined || put.group.endsWith(`|${JSON.stringify(only)}`));
      for (const put of landing) {
        held.splice(held.indexOf(put), 1);
        put.land();
      }
    },
  };
}

describe('delivery while a PUT is still on its way to the gateway', () => {
  const OLD = 'http://old:9091';
  const NEW = 'http://new:9091';
  const oldTarget: GatewayTarget = { url: OLD, job: 'webrtc', credentialsRef: 'r1' };
  const settings = reliabilitySchema.parse({});

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setUp() {
    const area = createMapArea();
    const drops = createDropCounter();
    const outbox = createOutbox({ area, limits: () => ({ maxGroups: 100, maxBytes: 1_000_000 }), drops });
    const gateways = createFakeGateways();
    const oldBreaker = createNetworkCircuitBreaker({ area: createMapArea(), settings });
    const delivery = createDelivery({
      outbox,
      client: gateways.client,
      breaker: createNetworkCircuitBreaker({ area, settings }),
      drops,
      area,
      route: (target) =>
        target.url === gateways.current.url
          ? null
          : { to: { url: target.url, job: target.job, username: '', password: '' }, breaker: oldBreaker },
    });
    return { outbox, gateways, delivery };
  }

  it.each([
    {
      race: 'its own delete at the same gateway (the connection ended)',
      change: ({ outbox }: ReturnType<typeof setUp>) => outbox.remove('g1', key('pc1')),
    },
    {
      race: 'the delete at the old gateway after the URL changed',
      change: ({ outbox, gateways }: ReturnType<typeof setUp>) => {
        gateways.current.url = NEW;
        outbox.remove('g1@old', key('pc1'), oldTarget);
      },
    },
    {
      race: 'the delete under the old grouping key after the key changed (another agent id)',
      change: ({ outbox }: ReturnType<typeof setUp>) => {
        outbox.remove('g1~old', key('pc1'));
        outbox.put('g1', { ...key('pc1'), agent: 'b' }, 'state 2\n');
      },
    },
  ])('leaves no group behind when a PUT lands after $race was sent', async ({ change }) => {
    const rig = setUp();
    // Two groups in one flush: while g1's PUT is still uploading, the worker that sent g2's is free again.
    rig.outbox.put('g1', key('pc1'), 'state 1\n');
    rig.outbox.put('g2', key('pc2'), 'state 1\n');
    const first = rig.delivery.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(rig.gateways.sent).toEqual([`PUT ${rig.gateways.group(OLD, key('pc1'))}`, `PUT ${rig.gateways.group(OLD, key('pc2'))}`]);

    change(rig);
    const second = rig.delivery.flush();
    rig.gateways.land(key('pc2'));
    await vi.advanceTimersByTimeAsync(0);
    // Only now does g1's PUT reach the gateway; then whatever was held back may go.
    rig.gateways.land(key('pc1'));
    await vi.advanceTimersByTimeAsync(0);
    for (let round = 0; round < 5; round += 1) {
      rig.gateways.land();
      await vi.advanceTimersByTimeAsync(0);
    }
    await Promise.all([first, second]);

    // At the gateway the PUT went to, the group under that key is gone, and stays gone.
    expect(rig.gateways.groups.has(rig.gateways.group(OLD, key('pc1')))).toBe(false);
    expect(rig.outbox.stats()).toMatchObject({ pendingDeletes: 0, inFlight: 0 });
  });
});
