import {
  CircuitState,
  TaskCancelledError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { BreakerStateName } from '../messaging/health';

/**
 * What a storage failure means for the caller:
 * - `quota`: the area is full or rate-limited (QUOTA_BYTES, QUOTA_BYTES_PER_ITEM,
 *   MAX_WRITE_OPERATIONS_*): the same write fails again, so it is not retried; a caller may use
 *   another area.
 * - `context-invalidated`: the extension was reloaded or updated under this context; nothing
 *   this context does with storage can succeed again.
 * - `invalid-data`: the value cannot be stored (not serialisable); the caller's input is wrong.
 * - `circuit-open`: the breaker is open and the call was not made.
 * - `transient`: anything else; retried with backoff and counted by the breaker.
 */
export type StorageErrorKind =
  | 'quota'
  | 'context-invalidated'
  | 'invalid-data'
  | 'circuit-open'
  | 'transient';

/** A storage failure with its kind, so callers can decide on fallback without parsing messages. */
export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  constructor(kind: StorageErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.kind = kind;
  }
}

const QUOTA_PATTERN = /QUOTA_BYTES|QUOTA_BYTES_PER_ITEM|MAX_WRITE_OPERATIONS|MAX_ITEMS|quota/i;
const CONTEXT_PATTERN = /Extension context invalidated/i;
const INVALID_DATA_PATTERN =
  /DataCloneError|could not be cloned|circular structure|cyclic object|not serializable|BigInt|Error in invocation of storage|Invalid (?:type|value)|expected object/i;

/** Classifies any thrown value (browser error, DOMException, string) into a {@link StorageErrorKind}. */
export function classifyStorageError(error: unknown): StorageErrorKind {
  if (error instanceof StorageError) return error.kind;
  if (isBrokenCircuitError(error)) return 'circuit-open';
  const name = typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name ?? '') : '';
  const message = describeError(error);
  if (name === 'QuotaExceededError' || QUOTA_PATTERN.test(message)) return 'quota';
  if (CONTEXT_PATTERN.test(message)) return 'context-invalidated';
  if (name === 'DataCloneError' || INVALID_DATA_PATTERN.test(message)) return 'invalid-data';
  return 'transient';
}

/** Only transient failures are worth another try: the others fail the same way again. */
export function isRetryableStorageError(error: unknown): boolean {
  return classifyStorageError(error) === 'transient';
}

/** A readable one-line message for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** Wraps any thrown value in a {@link StorageError} (kept as is when it already is one). */
export function toStorageError(error: unknown, area?: string): StorageError {
  if (error instanceof StorageError) return error;
  const kind = classifyStorageError(error);
  const prefix = area ? `storage.${area}: ` : '';
  return new StorageError(kind, `${prefix}${describeError(error)}`, { cause: error });
}

export interface StorageCircuitBreakerOptions {
  /** Area name used in error messages. */
  name?: string;
  /** Consecutive transient failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** First delay before a half-open trial call, in ms. Default 1,000. */
  halfOpenInitialDelayMs?: number;
  /** Longest half-open delay, in ms. Default 30,000. */
  halfOpenMaxDelayMs?: number;
  /** Attempts per operation, the first included. Default 3. */
  maxAttempts?: number;
  /** First retry delay, in ms. Default 50. */
  retryInitialDelayMs?: number;
  /** Longest retry delay, in ms. Default 1,000. */
  retryMaxDelayMs?: number;
  /** A single storage call that takes longer is abandoned as a transient failure, in ms. Default 5,000. */
  operationTimeoutMs?: number;
  /** Saved state from {@link StorageCircuitBreaker.toJSON}, so a restarted worker keeps an open breaker open. */
  initialState?: unknown;
  now?: () => number;
}

export interface StorageBreakerHealth {
  breaker: BreakerStateName;
  /** Operations that failed after all their attempts (any kind), since creation. */
  failures: number;
  lastError: string | null;
  lastErrorKind: StorageErrorKind | null;
  /** When the breaker last changed state (ms since epoch). */
  since: number;
}

export interface StorageCircuitBreaker {
  /**
   * Runs one storage operation with timeout, retries (transient errors only, exponential
   * backoff) and the circuit breaker. Rejects with a {@link StorageError}.
   */
  execute<T>(operation: () => Promise<T>): Promise<T>;
  state(): BreakerStateName;
  health(): StorageBreakerHealth;
  /** Serialisable breaker state for `initialState`. */
  toJSON(): unknown;
  dispose(): void;
}

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * Creates the storage circuit breaker (seed plan 3.2): cockatiel's consecutive breaker with an
 * exponential half-open delay, around a retry policy for transient errors. Quota, invalid-data
 * and context-invalidated errors are neither retried nor counted against the breaker: they say
 * nothing about whether the storage backend is healthy.
 */
export function createStorageCircuitBreaker(
  options: StorageCircuitBreakerOptions = {},
): StorageCircuitBreaker {
  const now = options.now ?? Date.now;
  const transientOnly = handleWhen((error) => isRetryableStorageError(error));
  const breaker: CircuitBreakerPolicy = circuitBreaker(transientOnly, {
    breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5),
    halfOpenAfter: new ExponentialBackoff({
      initialDelay: options.halfOpenInitialDelayMs ?? 1_000,
      maxDelay: options.halfOpenMaxDelayMs ?? 30_000,
    }),
    initialState: options.initialState,
  });
  const retryPolicy = retry(transientOnly, {
    maxAttempts: Math.max(0, (options.maxAttempts ?? 3) - 1),
    backoff: new ExponentialBackoff({
      initialDelay: options.retryInitialDelayMs ?? 50,
      maxDelay: options.retryMaxDelayMs ?? 1_000,
    }),
  });
  const timeoutPolicy = timeout(options.operationTimeoutMs ?? 5_000, TimeoutStrategy.Aggressive);
  // Retry outermost: each attempt passes the breaker, so an opening breaker stops the retries.
  const policy = wrap(retryPolicy, breaker, timeoutPolicy);

  let failures = 0;
  let lastError: StorageError | null = null;
  let since = now();
  const subscription = breaker.onStateChange(() => {
    since = now();
  });

  return {
    async execute<T>(operation: () => Promise<T>): Promise<T> {
      try {
        return await policy.execute(async () => {
          try {
            return await operation();
          } catch (error) {
            throw toStorageError(error, options.name);
          }
        });
      } catch (error) {
        const storageError = isBrokenCircuitError(error)
          ? new StorageError('circuit-open', `storage${options.name ? `.${options.name}` : ''}: circuit open`, {
              cause: error,
            })
          : error instanceof TaskCancelledError
            ? new StorageError('transient', `storage${options.name ? `.${options.name}` : ''}: timed out`, {
                cause: error,
              })
            : toStorageError(error, options.name);
        failures += 1;
        lastError = storageError;
        throw storageError;
      }
    },
    state() {
      return STATE_NAMES[breaker.state];
    },
    health() {
      return {
        breaker: STATE_NAMES[breaker.state],
        failures,
        lastError: lastError?.message ?? null,
        lastErrorKind: lastError?.kind ?? null,
        since,
      };
    },
    toJSON() {
      return breaker.toJSON();
    },
    dispose() {
      subscription.dispose();
    },
  };
}
