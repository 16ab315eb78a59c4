import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  StorageError,
  classifyStorageError,
  createStorageCircuitBreaker,
} from '../../../utils/resilience/storage-circuit-breaker';

function domException(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('classifyStorageError', () => {
  it.each([
    [new Error('QUOTA_BYTES quota exceeded'), 'quota'],
    [new Error('QUOTA_BYTES_PER_ITEM quota exceeded'), 'quota'],
    [new Error('MAX_WRITE_OPERATIONS_PER_MINUTE quota exceeded'), 'quota'],
    [new Error('Session storage quota bytes exceeded. Values were not stored.'), 'quota'],
    [domException('QuotaExceededError', 'The quota has been exceeded.'), 'quota'],
    [new Error('Extension context invalidated.'), 'context-invalidated'],
    [domException('DataCloneError', 'The object could not be cloned.'), 'invalid-data'],
    [new TypeError('Converting circular structure to JSON'), 'invalid-data'],
    [new StorageError('invalid-data', 'bad'), 'invalid-data'],
    [new Error('IO error: database is locked'), 'transient'],
    ['a thrown string', 'transient'],
    [undefined, 'transient'],
  ] as const)('classifies %s as %s', (error, kind) => {
    expect(classifyStorageError(error)).toBe(kind);
  });
});

describe('createStorageCircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries a transient failure and returns the value of the attempt that works', async () => {
    const breaker = createStorageCircuitBreaker({ maxAttempts: 3 });
    const operation = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('IO error'))
      .mockRejectedValueOnce(new Error('IO error'))
      .mockResolvedValue('value');

    const result = breaker.execute(operation);
    await vi.runAllTimersAsync();

    await expect(result).resolves.toBe('value');
    expect(operation).toHaveBeenCalledTimes(3);
    expect(breaker.health().failures).toBe(0);
  });

  it.each([
    ['quota', new Error('QUOTA_BYTES_PER_ITEM quota exceeded')],
    ['context-invalidated', new Error('Extension context invalidated.')],
    ['invalid-data', domException('DataCloneError', 'could not be cloned')],
  ] as const)('does not retry a %s error nor count it against the breaker', async (kind, error) => {
    const breaker = createStorageCircuitBreaker({ failureThreshold: 1 });
    const operation = vi.fn<() => Promise<void>>().mockRejectedValue(error);

    const result = breaker.execute(operation);
    const settled = expect(result).rejects.toMatchObject({ kind });
    await vi.runAllTimersAsync();
    await settled;

    expect(operation).toHaveBeenCalledTimes(1);
    expect(breaker.state()).toBe('closed');
    expect(breaker.health()).toMatchObject({ failures: 1, lastErrorKind: kind });
  });

  it('opens after consecutive transient failures, fails fast, and closes after a good half-open call', async () => {
    const breaker = createStorageCircuitBreaker({
      failureThreshold: 3,
      maxAttempts: 1,
      halfOpenInitialDelayMs: 1_000,
      halfOpenMaxDelayMs: 1_000,
    });
    const failing = vi.fn<() => Promise<void>>().mockRejectedValue(new Error('IO error'));
    for (let i = 0; i < 3; i += 1) {
      await expect(breaker.execute(failing)).rejects.toMatchObject({ kind: 'transient' });
    }
    expect(breaker.state()).toBe('open');

    const skipped = vi.fn<() => Promise<string>>().mockResolvedValue('never');
    await expect(breaker.execute(skipped)).rejects.toMatchObject({ kind: 'circuit-open' });
    expect(skipped).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1_500);
    await expect(breaker.execute(async () => 'ok')).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(breaker.health().failures).toBe(4);
  });

  it('abandons a storage call that never answers, as a transient failure', async () => {
    const breaker = createStorageCircuitBreaker({ operationTimeoutMs: 500, maxAttempts: 2 });
    const hanging = vi.fn(() => new Promise<void>(() => undefined));

    const result = breaker.execute(hanging);
    const settled = expect(result).rejects.toMatchObject({ kind: 'transient', message: expect.stringMatching(/timed out/) });
    await vi.runAllTimersAsync();
    await settled;
    expect(hanging).toHaveBeenCalledTimes(2);
  });

  it('restores an open breaker from its saved state', async () => {
    const first = createStorageCircuitBreaker({ failureThreshold: 1, maxAttempts: 1, halfOpenInitialDelayMs: 60_000 });
    await expect(first.execute(() => Promise.reject(new Error('IO error')))).rejects.toThrow();
    expect(first.state()).toBe('open');

    const restarted = createStorageCircuitBreaker({ initialState: first.toJSON(), halfOpenInitialDelayMs: 60_000 });
    expect(restarted.state()).toBe('open');
  });
});
