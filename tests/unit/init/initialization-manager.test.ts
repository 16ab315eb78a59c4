import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createInitializationManager,
  type InitReport,
  type InitStep,
} from '../../../utils/init/initialization-manager';

const step = <T>(name: string, run: InitStep<T>['run'], extra: Partial<InitStep<T>> = {}): InitStep<T> => ({
  name,
  run,
  timeoutMs: 1_000,
  retries: 2,
  ...extra,
});

/** Lets the manager's timers run until whenReady resolves, failing if it takes longer than its bound. */
async function readyWithinBound(manager: ReturnType<typeof createInitializationManager>): Promise<InitReport> {
  let report: InitReport | undefined;
  void manager.whenReady().then((r) => (report = r));
  await vi.advanceTimersByTimeAsync(manager.worstCaseMs());
  if (!report) throw new Error('whenReady did not resolve within worstCaseMs');
  return report;
}

describe('createInitializationManager', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs steps after their dependencies and hands each its dependencies’ values', async () => {
    const order: string[] = [];
    const manager = createInitializationManager({
      steps: [
        step('scheduler', async ({ get }) => {
          order.push('scheduler');
          return `${get<string>('settings')}+${get<string>('outbox')}`;
        }, { dependsOn: ['settings', 'outbox'] }),
        step('outbox', async () => (order.push('outbox'), 'outbox'), { dependsOn: ['storage'] }),
        step('settings', async ({ get }) => (order.push('settings'), `settings(${get<string>('storage')})`), {
          dependsOn: ['storage'],
        }),
        step('storage', async () => (order.push('storage'), 'storage')),
      ],
    });

    const report = await readyWithinBound(manager);

    expect(report.status).toBe('running');
    expect(order[0]).toBe('storage');
    expect(order.at(-1)).toBe('scheduler');
    expect(manager.value('scheduler')).toBe('settings(storage)+outbox');
  });

  it.each([
    ['a cycle', [step('a', async () => 1, { dependsOn: ['b'] }), step('b', async () => 1, { dependsOn: ['a'] })], /cycle: a -> b -> a/],
    ['a missing dependency', [step('a', async () => 1, { dependsOn: ['nope'] })], /unknown step "nope"/],
    ['a duplicate name', [step('a', async () => 1), step('a', async () => 2)], /defined twice/],
    ['a step without a timeout', [step('a', async () => 1, { timeoutMs: 0 })], /timeoutMs > 0/],
  ])('rejects %s when the steps are defined', (_, steps, error) => {
    expect(() => createInitializationManager({ steps })).toThrow(error);
  });

  it('retries a failing step with backoff until it works', async () => {
    const run = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('busy'))
      .mockRejectedValueOnce(new Error('busy'))
      .mockResolvedValue('ok');
    const manager = createInitializationManager({ steps: [step('storage', run, { retries: 2 })] });

    const report = await readyWithinBound(manager);

    expect(report.status).toBe('running');
    expect(run).toHaveBeenCalledTimes(3);
    expect(report.steps[0]).toMatchObject({ state: 'ready', attempts: 3 });
  });

  it('gives up on a step that hangs after its timeouts and goes on degraded with the fallback', async () => {
    const manager = createInitializationManager({
      steps: [
        step('storage', () => new Promise<string>(() => undefined), { timeoutMs: 500, retries: 1, fallback: () => 'memory' }),
        step('settings', async ({ get }) => `on ${get<string>('storage')}`, { dependsOn: ['storage'] }),
      ],
    });

    const report = await readyWithinBound(manager);

    expect(report.status).toBe('degraded');
    expect(report.degradedReasons).toEqual([expect.stringMatching(/^storage: .*timed out/)]);
    expect(manager.value('storage')).toBe('memory');
    expect(manager.value('settings')).toBe('on memory');
  });

  it('settles a step whose dependency has no value, on its own fallback', async () => {
    const manager = createInitializationManager({
      steps: [
        step('storage', () => Promise.reject(new Error('no storage')), { retries: 0 }),
        step('outbox', async () => ['restored'], { dependsOn: ['storage'], fallback: () => [] }),
        step('tracker', async () => 'tracker', { dependsOn: ['storage'] }),
      ],
    });

    const report = await readyWithinBound(manager);

    expect(report.status).toBe('degraded');
    expect(Object.fromEntries(report.steps.map((s) => [s.name, s.state]))).toEqual({
      storage: 'failed',
      outbox: 'degraded',
      tracker: 'failed',
    });
    expect(manager.value('outbox')).toEqual([]);
    expect(report.degradedReasons).toContain('outbox: dependency storage unavailable');
  });

  it('keeps retrying a failed step in the background, and re-runs the steps that used its fallback', async () => {
    let storageUp = false;
    const settingsRuns = vi.fn(async ({ get }: { get: <U>(name: string) => U | undefined }) => `settings on ${get<string>('storage')}`);
    const manager = createInitializationManager({
      healInitialDelayMs: 1_000,
      healMaxDelayMs: 4_000,
      steps: [
        step('storage', async () => {
          if (!storageUp) throw new Error('storage down');
          return 'session';
        }, { retries: 1, fallback: () => 'memory' }),
        step('settings', settingsRuns, { dependsOn: ['storage'] }),
        step('unrelated', async () => 'x'),
      ],
    });
    const changes: InitReport[] = [];
    manager.onChange((r) => changes.push(r));

    const first = await readyWithinBound(manager);
    expect(first.status).toBe('degraded');
    expect(manager.value('settings')).toBe('settings on memory');

    storageUp = true;
    await vi.advanceTimersByTimeAsync(8_000);

    expect(manager.status()).toBe('running');
    expect(manager.degradedReasons()).toEqual([]);
    expect(manager.value('storage')).toBe('session');
    expect(manager.value('settings')).toBe('settings on session');
    expect(settingsRuns).toHaveBeenCalledTimes(2);
    expect(changes.at(-1)?.status).toBe('running');
    expect(manager.report().steps.find((s) => s.name === 'storage')?.healedAt).toEqual(expect.any(Number));
  });

  it('never runs two heals of one step at once, so a slow heal that succeeds is not replaced by a second run', async () => {
    // `slow` fails at start; its heal hangs 3 s (its timeout is longer). Meanwhile `quick` heals and
    // reschedules heals: without a guard a second run of `slow` starts beside the first.
    let slowUp = false;
    let running = 0;
    let mostAtOnce = 0;
    let runs = 0;
    const slow = vi.fn(async () => {
      if (!slowUp) throw new Error('down');
      runs++;
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      running--;
      return runs === 1 ? 'first read' : 'second read';
    });
    let quickUp = false;
    const manager = createInitializationManager({
      healInitialDelayMs: 1_000,
      healMaxDelayMs: 1_000,
      steps: [
        step('slow', slow, { retries: 0, timeoutMs: 10_000, fallback: () => 'fallback' }),
        step('quick', async () => {
          if (!quickUp) throw new Error('down');
          return 'ok';
        }, { retries: 0, fallback: () => 'fallback' }),
      ],
    });
    await manager.whenReady();
    slowUp = true;
    quickUp = true;
    await vi.advanceTimersByTimeAsync(10_000);

    expect(manager.status()).toBe('running');
    expect(mostAtOnce).toBe(1);
    expect(runs).toBe(1);
    expect(manager.value('slow')).toBe('first read');
  });

  it('backs off the background retries up to a bound, and stops them on dispose', async () => {
    const run = vi.fn(() => Promise.reject(new Error('still down')));
    const manager = createInitializationManager({
      healInitialDelayMs: 1_000,
      healMaxDelayMs: 4_000,
      steps: [step('storage', run, { retries: 0, fallback: () => 'memory' })],
    });
    await manager.whenReady();
    const afterStart = run.mock.calls.length;

    // Background tries at +1 s, +2 s, +4 s, then every 4 s.
    await vi.advanceTimersByTimeAsync(1_000 + 2_000 + 4_000 + 4_000 + 4_000);
    expect(run.mock.calls.length - afterStart).toBe(5);

    manager.dispose();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(run.mock.calls.length - afterStart).toBe(5);
  });

  it('starts the steps when someone only waits for them', async () => {
    const run = vi.fn(async () => 1);
    const manager = createInitializationManager({ steps: [step('only', run)] });
    await readyWithinBound(manager);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
