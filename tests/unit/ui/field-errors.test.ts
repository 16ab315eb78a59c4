import { describe, expect, it } from 'vitest';
import { settingsSchema } from '@/utils/settings/settings-schema';
import {
  errorAt,
  fieldId,
  issuesFromZodError,
  isPathLocked,
  toDottedPath,
  toFieldErrors,
} from '@/utils/ui/field-errors';

function issuesFor(input: unknown) {
  const result = settingsSchema.safeParse(input);
  if (result.success) throw new Error('expected invalid input');
  return toFieldErrors(issuesFromZodError(result.error));
}

describe('field-errors', () => {
  it('joins zod paths with dots, numbers included', () => {
    expect(toDottedPath(['customOrigins', 2])).toBe('customOrigins.2');
  });

  it.each([
    [{ gateway: { url: 'ftp://x' } }, 'gateway.url', 'Enter an http:// or https:// URL, e.g. https://pushgateway.example.com:9091'],
    [{ gateway: { job: '' } }, 'gateway.job', 'The job name cannot be empty'],
    [{ intervalMs: 1.5 }, 'intervalMs', 'Enter a whole number'],
    [{ intervalMs: 100 }, 'intervalMs', 'Must be at least 0.25 s'],
    [{ intervalMs: Number.NaN }, 'intervalMs', 'Enter a number'],
    [{ reliability: { requestTimeoutMs: 50 } }, 'reliability.requestTimeoutMs', 'Must be at least 200 ms'],
    [{ reliability: { outboxMaxGroups: 20_000 } }, 'reliability.outboxMaxGroups', 'Must be at most 10,000'],
    [{ statsTypes: ['nope'] }, 'statsTypes.0', 'Must be one of: codec, inbound-rtp'],
    [{ customOrigins: ['not an origin'] }, 'customOrigins.0', 'Use an origin such as https://calls.example.com'],
  ])('maps %j to a user message at %s', (input, path, message) => {
    expect(issuesFor(input)[path]).toContain(message);
  });

  it('keeps the first message when a path has several', () => {
    expect(toFieldErrors([
      { path: 'a', message: 'first' },
      { path: 'a', message: 'second' },
    ])).toEqual({ a: 'first' });
  });

  it('shows a child error at its parent field so none is left without a place', () => {
    const errors = { 'customOrigins.3': 'bad pattern', 'gateway.url': 'bad url' };
    expect(errorAt(errors, 'customOrigins')).toBe('bad pattern');
    expect(errorAt(errors, 'gateway.url')).toBe('bad url');
    expect(errorAt(errors, 'gateway.job')).toBeUndefined();
    expect(errorAt(errors, 'gateway')).toBe('bad url');
  });

  it('treats a locked parent as locking its children, not its siblings', () => {
    expect(isPathLocked(['gateway'], 'gateway.url')).toBe(true);
    expect(isPathLocked(['gateway.url'], 'gateway.url')).toBe(true);
    expect(isPathLocked(['gateway.url'], 'gateway.job')).toBe(false);
    expect(isPathLocked(['gate'], 'gateway.url')).toBe(false);
  });

  it('makes ids that are safe in aria-describedby', () => {
    expect(fieldId('reliability.queueMaxSize', 'error')).toBe('f-reliability-queueMaxSize-error');
    expect(fieldId('statsTypes-inbound-rtp')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
