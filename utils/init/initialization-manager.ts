import { ExponentialBackoff, TimeoutStrategy, handleAll, retry, timeout, wrap } from 'cockatiel';

/** What a step's `run` receives. */
export interface InitStepContext {
  /** The value of a step this one depends on (real or fallback); undefined for a failed one. */
  get<U = unknown>(name: string): U | undefined;
  /**
   * True when that dependency runs on its fallback (or has no value). A step should not
   * persist anything derived from fallback values: that would overwrite the real state.
   */
  isFallback(name: string): boolean;
  /** 0 for the first attempt. */
  attempt: number;
  /** Aborted when the attempt times out; long work should stop then. */
  signal: AbortSignal;
  /** True when the step runs again in the background to heal a failure. */
  healing: boolean;
}

/** One step of the start-up, e.g. storage -> settings -> outbox restore -> ... */
export interface InitStep<T = unknown> {
  name: string;
  /** Steps whose values this one needs; they run first. */
  dependsOn?: string[];
  run: (context: InitStepContext) => Promise<T>;
  /** Longest one attempt may take, in ms. */
  timeoutMs: number;
  /** Attempts after the first one. */
  retries: number;
  /** The value to go on with when every attempt failed (degraded mode). */
  fallback?: () => T;
}

/**
 * - `pending`/`running`: not settled yet
 * - `ready`: has its real value
 * - `degraded`: runs on its fallback value (its own failure, or a dependency's)
 * - `failed`: no value at all (failed without a fallback, or its dependency has no value)
 */
export type StepState = 'pending' | 'running' | 'ready' | 'degraded' | 'failed';

export interface StepSnapshot {
  name: string;
  state: StepState;
  /** Attempts so far, background ones included. */
  attempts: number;
  lastError: string | null;
  /** When it last went from degraded/failed to ready (ms since epoch). */
  healedAt: number | null;
}

export type InitStatus = 'starting' | 'running' | 'degraded';

export interface InitReport {
  status: InitStatus;
  degradedReasons: string[];
  steps: StepSnapshot[];
}

export interface InitializationManagerOptions {
  // Steps of any value type: `run` and `fallback` are checked against each other per step.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  steps: InitStep<any>[];
  /** First delay between two attempts of a step, in ms. Default 100. */
  retryInitialDelayMs?: number;
  /** Longest delay between two attempts, in ms. Default 2,000. */
  retryMaxDelayMs?: number;
  /** First delay before a failed step is tried again in the background, in ms. Default 1,000. */
  healInitialDelayMs?: number;
  /** The background delay doubles up to this, in ms. Default 60,000. */
  healMaxDelayMs?: number;
  now?: () => number;
}

export interface InitializationManager {
  /** Starts the steps (once); resolves like {@link whenReady}. */
  start(): Promise<InitReport>;
  /**
   * Resolves once every step has settled: a real value, its fallback, or failed. Starts the
   * steps if nobody has. Never hangs: bounded by {@link worstCaseMs}.
   */
  whenReady(): Promise<InitReport>;
  value<T = unknown>(name: string): T | undefined;
  status(): InitStatus;
  degradedReasons(): string[];
  report(): InitReport;
  /** Called after the start settles and after every background heal or failure. */
  onChange(listener: (report: InitReport) => void): () => void;
  /** Upper bound of the start-up, in ms: the longest dependency chain of attempts, timeouts and retry delays. */
  worstCaseMs(): number;
  /** Stops background retries. */
  dispose(): void;
}

interface StepRecord {
  step: InitStep;
  deps: string[];
  state: StepState;
  value: unknown;
  hasValue: boolean;
  attempts: number;
  lastError: string | null;
  reason: string | null;
  healedAt: number | null;
  /** Ran on a dependency's fallback value: must run again when that dependency heals. */
  usedFallbackInputs: boolean;
  /** Failed on its own (not because of a dependency): healed by the background loop. */
  ownFailure: boolean;
  healDelay: number;
  healTimer: ReturnType<typeof setTimeout> | undefined;
  /** A heal of this step is running: no second one is scheduled beside it. */
  healing: boolean;
}

function message(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Orders steps so each comes after its dependencies; throws on duplicates, missing dependencies and cycles. */
export function orderSteps(steps: readonly InitStep[]): string[] {
  const byName = new Map<string, InitStep>();
  for (const step of steps) {
    if (byName.has(step.name)) throw new Error(`Initialization step "${step.name}" is defined twice`);
    byName.set(step.name, step);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn ?? []) {
      if (!byName.has(dep)) throw new Error(`Initialization step "${step.name}" depends on unknown step "${dep}"`);
    }
  }
  const order: string[] = [];
  const mark = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    const state = mark.get(name);
    if (state === 'done') return;
    if (state === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name].join(' -> ');
      throw new Error(`Initialization steps form a cycle: ${cycle}`);
    }
    mark.set(name, 'visiting');
    for (const dep of byName.get(name)?.dependsOn ?? []) visit(dep, [...trail, name]);
    mark.set(name, 'done');
    order.push(name);
  };
  for (const step of steps) visit(step.name, []);
  return order;
}

/**
 * Creates the initialization manager (seed plan 3.4). Steps run in dependency order (steps
 * whose dependencies are settled run in parallel), each attempt bounded by its timeout, with
 * retries and exponential backoff (cockatiel). A step that fails every attempt goes on with its
 * fallback and the manager reports `degraded` with the reason; the background keeps trying
 * that step (bounded exponential delay) and, once it succeeds, runs again the steps that had
 * used its fallback value, so a transient failure at start heals. The definition is checked
 * at creation: duplicate names, unknown dependencies and cycles throw.
 */
export function createInitializationManager(options: InitializationManagerOptions): InitializationManager {
  const now = options.now ?? Date.now;
  const retryInitialDelayMs = options.retryInitialDelayMs ?? 100;
  const retryMaxDelayMs = options.retryMaxDelayMs ?? 2_000;
  const healInitialDelayMs = options.healInitialDelayMs ?? 1_000;
  const healMaxDelayMs = options.healMaxDelayMs ?? 60_000;

  const order = orderSteps(options.steps);
  const records = new Map<string, StepRecord>();
  for (const step of options.steps) {
    if (!(step.timeoutMs > 0) || !(step.retries >= 0)) {
      throw new Error(`Initialization step "${step.name}" needs timeoutMs > 0 and retries >= 0`);
    }
    records.set(step.name, {
      step,
      deps: step.dependsOn ?? [],
      state: 'pending',
      value: undefined,
      hasValue: false,
      attempts: 0,
      lastError: null,
      reason: null,
      healedAt: null,
      usedFallbackInputs: false,
      ownFailure: false,
      healDelay: healInitialDelayMs,
      healTimer: undefined,
      healing: false,
    });
  }
  const record = (name: string): StepRecord => {
    const found = records.get(name);
    if (!found) throw new Error(`Unknown initialization step "${name}"`);
    return found;
  };

  let started: Promise<InitReport> | undefined;
  let settled = false;
  let disposed = false;
  const listeners = new Set<(report: InitReport) => void>();

  function context(attempt: number, signal: AbortSignal, healing: boolean): InitStepContext {
    return {
      get: <U>(name: string) => (records.get(name)?.hasValue ? (records.get(name)?.value as U) : undefined),
      isFallback: (name: string) => records.get(name)?.state !== 'ready',
      attempt,
      signal,
      healing,
    };
  }

  function snapshot(): InitReport {
    const steps = order.map((name) => {
      const r = record(name);
      return { name, state: r.state, attempts: r.attempts, lastError: r.lastError, healedAt: r.healedAt };
    });
    const degradedReasons = order.map((name) => record(name).reason).filter((reason): reason is string => reason !== null);
    const status: InitStatus = !settled
      ? 'starting'
      : steps.some((step) => step.state === 'degraded' || step.state === 'failed')
        ? 'degraded'
        : 'running';
    return { status, degradedReasons, steps };
  }

  function emit(): void {
    const report = snapshot();
    for (const listener of listeners) {
      try {
        listener(report);
      } catch {
        // A listener's bug must not stop the start-up.
      }
    }
  }

  /** Runs a step with its timeout and retries; resolves with the value or rejects with the last error. */
  async function attempts(r: StepRecord, healing: boolean): Promise<unknown> {
    const policy = wrap(
      retry(handleAll, {
        maxAttempts: healing ? 0 : r.step.retries,
        backoff: new ExponentialBackoff({ initialDelay: retryInitialDelayMs, maxDelay: retryMaxDelayMs }),
      }),
      timeout(r.step.timeoutMs, TimeoutStrategy.Aggressive),
    );
    return policy.execute(({ signal }) => {
      const attempt = r.attempts;
      r.attempts += 1;
      const running = Promise.resolve().then(() => r.step.run(context(attempt, signal, healing)));
      // After a timeout the abandoned attempt may still reject; that is not an unhandled error.
      running.catch(() => undefined);
      return running;
    });
  }

  function useFallback(r: StepRecord, reason: string): void {
    r.reason = `${r.step.name}: ${reason}`;
    if (r.step.fallback) {
      try {
        r.value = r.step.fallback();
        r.hasValue = true;
        r.state = 'degraded';
        return;
      } catch (error) {
        r.reason = `${r.step.name}: ${reason}; fallback failed: ${message(error)}`;
      }
    }
    r.value = undefined;
    r.hasValue = false;
    r.state = 'failed';
  }

  /** Runs one step once its dependencies are settled; never rejects. */
  async function settle(r: StepRecord, healing: boolean): Promise<void> {
    const missing = r.deps.filter((dep) => !record(dep).hasValue);
    if (missing.length > 0) {
      // Nothing to run on; the step runs when the dependency heals.
      r.ownFailure = false;
      r.lastError = `dependency ${missing.join(', ')} unavailable`;
      useFallback(r, r.lastError);
      return;
    }
    const inputsDegraded = r.deps.some((dep) => record(dep).state !== 'ready');
    r.state = r.state === 'pending' ? 'running' : r.state;
    try {
      const value = await attempts(r, healing);
      if (disposed && healing) return;
      const wasBroken = r.state === 'degraded' || r.state === 'failed';
      r.value = value;
      r.hasValue = true;
      r.state = 'ready';
      r.reason = null;
      r.lastError = null;
      r.ownFailure = false;
      r.usedFallbackInputs = inputsDegraded;
      r.healDelay = healInitialDelayMs;
      if (wasBroken) r.healedAt = now();
    } catch (error) {
      r.lastError = message(error);
      r.ownFailure = true;
      r.usedFallbackInputs = inputsDegraded;
      if (!healing || !r.hasValue || r.state !== 'degraded') useFallback(r, r.lastError);
      else r.reason = `${r.step.name}: ${r.lastError}`;
    }
  }

  function scheduleHeals(): void {
    if (disposed) return;
    for (const name of order) {
      const r = record(name);
      if (!r.ownFailure || r.healTimer !== undefined || r.healing || r.state === 'ready') continue;
      const delay = r.healDelay;
      r.healDelay = Math.min(r.healDelay * 2, healMaxDelayMs);
      r.healTimer = setTimeout(() => {
        r.healTimer = undefined;
        void heal(name);
      }, delay);
    }
  }

  /** Tries a failed step once more; on success re-runs the steps that ran on its fallback. */
  async function heal(name: string): Promise<void> {
    if (disposed) return;
    const r = record(name);
    // Healed meanwhile (a timer set while it was still broken): running it again would replace a
    // good value with whatever a second read sees, and two runs of one step would race.
    if (r.state === 'ready' || r.healing) return;
    r.healing = true;
    try {
      await settle(r, true);
    } finally {
      r.healing = false;
    }
    if (disposed) return;
    // settle() changed the state: read it afresh (TypeScript keeps the narrowing from above).
    if ((r.state as StepState) === 'ready') {
      // Dependents in order: each sees its dependencies' new values.
      const dirty = new Set<string>([name]);
      for (const other of order) {
        const o = record(other);
        if (other === name || !o.deps.some((dep) => dirty.has(dep))) continue;
        if (o.state === 'ready' && !o.usedFallbackInputs) continue;
        await settle(o, false);
        if (disposed) return;
        dirty.add(other);
      }
    }
    emit();
    scheduleHeals();
  }

  function start(): Promise<InitReport> {
    if (started) return started;
    const done = new Map<string, Promise<void>>();
    for (const name of order) {
      const r = record(name);
      const deps = r.deps.map((dep) => done.get(dep) ?? Promise.resolve());
      done.set(name, Promise.all(deps).then(() => settle(r, false)));
    }
    started = Promise.all(done.values()).then(() => {
      settled = true;
      emit();
      scheduleHeals();
      return snapshot();
    });
    return started;
  }

  function stepBoundMs(step: InitStep): number {
    return (step.retries + 1) * step.timeoutMs + step.retries * retryMaxDelayMs;
  }

  return {
    start,
    whenReady: start,
    value<T>(name: string) {
      const r = records.get(name);
      return r?.hasValue ? (r.value as T) : undefined;
    },
    status: () => snapshot().status,
    degradedReasons: () => snapshot().degradedReasons,
    report: snapshot,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    worstCaseMs() {
      const longest = new Map<string, number>();
      for (const name of order) {
        const r = record(name);
        const before = Math.max(0, ...r.deps.map((dep) => longest.get(dep) ?? 0));
        longest.set(name, before + stepBoundMs(r.step));
      }
      return Math.max(0, ...longest.values());
    },
    dispose() {
      disposed = true;
      for (const r of records.values()) {
        clearTimeout(r.healTimer);
        r.healTimer = undefined;
      }
      listeners.clear();
    },
  };
}
