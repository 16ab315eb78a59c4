import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type GeneratorFn,
} from 'cockatiel';
import { z } from 'zod';
import type { KeyValueArea } from '../storage/key-value-area';
import { readPersisted } from '../storage/read-persisted';
import type { BreakerStateName } from '../messaging/health';
import type { ReliabilitySettings } from '../settings/settings-schema';
import { isOutage, type GatewayResult } from '../export/pushgateway-client';

/**
 * The network circuit breaker in front of the Pushgateway (cockatiel's `circuitBreaker` with a
 * `ConsecutiveBreaker` and exponential half-open backoff). Only outages count as failures:
 * 5xx, 429, 408, timeouts and network errors. A 4xx means the gateway is up and refused one
 * request; it must not stop delivery of every other group. The state is persisted, so a
 * service-worker restart does not turn an open breaker back into a request storm.
 */
export interface NetworkCircuitBreaker {
  /**
   * Runs `request` through the breaker. Resolves with its result (outage results included);
   * rejects with `BreakerOpenError` without calling `request` while the breaker is open.
   * While half-open, one request is the probe and the others wait for its outcome.
   */
  execute<T extends GatewayResult>(request: () => Promise<T>): Promise<T>;
  state(): BreakerStateName;
  /** When the breaker entered its current state (ms since epoch). */
  since(): number;
  /** When the next probe is allowed while open, else null. */
  retryAt(): number | null;
  /** Consecutive outage failures counted while closed. */
  failures(): number;
  toJSON(): PersistedBreaker;
  /** Loads the persisted state; call once before the first `execute`. */
  restore(): Promise<void>;
  /** Applies changed thresholds, keeping the current state. */
  updateSettings(settings: ReliabilitySettings): void;
  onStateChange(listener: (state: BreakerStateName) => void): () => void;
  /** Persists now. */
  flush(): Promise<void>;
}

/** Thrown by `execute` when the breaker refuses to send (open or isolated). */
export class BreakerOpenError extends Error {
  constructor(readonly state: BreakerStateName) {
    super(`Pushgateway circuit breaker is ${state}`);
    this.name = 'BreakerOpenError';
  }
}

export const NETWORK_BREAKER_STORAGE_KEY = 'exporter.networkBreaker';

const persistedBreakerSchema = z.object({
  format: z.literal(1),
  since: z.number().finite(),
  policy: z.object({
    ownState: z.object({
      value: z.number().int(),
      openedAt: z.number().optional(),
      attemptNo: z.number().int().min(0).optional(),
    }),
    breakerState: z.number().int().min(0),
  }),
});
export type PersistedBreaker = z.infer<typeof persistedBreakerSchema>;

export interface NetworkCircuitBreakerOptions {
  area: KeyValueArea;
  settings: ReliabilitySettings;
  storageKey?: string;
  /** For tests; jitter of the half-open delay. */
  random?: () => number;
}

/** Share of extra delay added at random, so a fleet of agents does not probe a recovering gateway in step. */
export const HALF_OPEN_JITTER = 0.2;

/**
 * Half-open delays: `initialDelay * 2^n` plus up to 20% jitter, capped at `maxDelay`. Unlike
 * cockatiel's default decorrelated jitter this never waits less than the configured first
 * delay, so "first half-open delay" in the options means what it says.
 */
export function jitteredExponential(random: () => number): GeneratorFn<number> {
  return (attempts = 0, options) => {
    const base = Math.min(options.maxDelay, options.initialDelay * 2 ** attempts);
    return [Math.min(options.maxDelay, Math.round(base * (1 + HALF_OPEN_JITTER * random()))), attempts + 1];
  };
}

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

class OutageError extends Error {
  constructor(readonly result: GatewayResult) {
    super('message' in result ? result.message : 'outage');
  }
}

/** Creates the breaker in the closed state; `restore()` loads a persisted one. */
export function createNetworkCircuitBreaker(options: NetworkCircuitBreakerOptions): NetworkCircuitBreaker {
  // cockatiel times the open state with Date.now(); everything here uses the same clock.
  const now = Date.now;
  const random = options.random ?? Math.random;
  const storageKey = options.storageKey ?? NETWORK_BREAKER_STORAGE_KEY;
  const listeners = new Set<(state: BreakerStateName) => void>();
  let settings = options.settings;
  let since = now();
  let lastDelay = 0;
  let policy = build(undefined);
  let lastSaved = '';
  let writing: Promise<void> = Promise.resolve();

  function build(initialState: unknown): CircuitBreakerPolicy {
    const generator = jitteredExponential(random);
    const next = circuitBreaker(
      handleWhen((error) => error instanceof OutageError),
      {
        halfOpenAfter: new ExponentialBackoff<number>({
          initialDelay: settings.halfOpenInitialDelayMs,
          maxDelay: Math.max(settings.halfOpenInitialDelayMs, settings.halfOpenMaxDelayMs),
          // Record each delay: cockatiel keeps it private, and the delivery schedules its probe by it.
          generator: (state: number | undefined, opts) => {
            const result = generator(state, opts);
            lastDelay = result[0];
            return result;
          },
        }),
        breaker: new ConsecutiveBreaker(settings.breakerFailureThreshold),
        ...(initialState ? { initialState } : {}),
      },
    );
    next.onStateChange((state) => {
      if (next !== policy) return;
      since = now();
      persist();
      for (const listener of listeners) listener(STATE_NAMES[state]);
    });
    return next;
  }

  function snapshot(): PersistedBreaker {
    const json = policy.toJSON() as PersistedBreaker['policy'];
    return { format: 1, since, policy: json };
  }

  function persist(): void {
    const value = snapshot();
    const text = JSON.stringify(value);
    if (text === lastSaved) return;
    lastSaved = text;
    writing = writing
      .then(() => options.area.set({ [storageKey]: value }))
      .catch(() => {
        // The state lives on in memory; the next change writes again.
        lastSaved = '';
      });
  }

  function restorable(saved: PersistedBreaker): PersistedBreaker['policy'] | undefined {
    const { value } = saved.policy.ownState;
    if (value === CircuitState.Closed) return saved.policy;
    if (value === CircuitState.Open && saved.policy.ownState.openedAt !== undefined && saved.policy.ownState.attemptNo !== undefined) {
      return saved.policy;
    }
    // An isolation handle does not survive a restart, and anything else is not ours.
    return undefined;
  }

  return {
    async execute(request) {
      const state = policy.state;
      if (state === CircuitState.Open || state === CircuitState.Isolated) {
        // Cheap pre-check so an open breaker costs nothing per group; cockatiel decides the probe.
        const at = retryAtOf(state);
        if (at === null || now() < at) throw new BreakerOpenError(STATE_NAMES[state]);
      }
      try {
        return await policy.execute(async () => {
          const result = await request();
          if (isOutage(result)) throw new OutageError(result);
          return result;
        });
      } catch (error) {
        if (error instanceof OutageError) return error.result as Awaited<ReturnType<typeof request>>;
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
          throw new BreakerOpenError(STATE_NAMES[policy.state]);
        }
        throw error;
      } finally {
        persist();
      }
    },
    state: () => STATE_NAMES[policy.state],
    since: () => since,
    retryAt: () => retryAtOf(policy.state),
    failures: () => snapshot().policy.breakerState,
    toJSON: snapshot,
    async restore() {
      const parsed = await readPersisted(options.area, storageKey, persistedBreakerSchema);
      if (parsed.status !== 'ok') return;
      const initial = restorable(parsed.value);
      if (!initial) return;
      policy = build(initial);
      since = parsed.value.since;
      lastSaved = JSON.stringify(snapshot());
    },
    updateSettings(next) {
      const relevant = (s: ReliabilitySettings) =>
        `${s.breakerFailureThreshold}/${s.halfOpenInitialDelayMs}/${s.halfOpenMaxDelayMs}`;
      const changed = relevant(next) !== relevant(settings);
      settings = next;
      if (!changed) return;
      const kept = snapshot();
      const initial = restorable(kept);
      policy = build(initial);
      persist();
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush: async () => {
      persist();
      await writing;
    },
  };

  function retryAtOf(state: CircuitState): number | null {
    if (state !== CircuitState.Open) return null;
    const openedAt = (policy.toJSON() as PersistedBreaker['policy']).ownState.openedAt ?? 0;
    return openedAt + lastDelay;
  }
}
