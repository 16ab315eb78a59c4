import type { z } from 'zod';

/** One validation problem at a dotted settings path (`gateway.url`, `customOrigins.2`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Field errors by dotted path; the first message for a path wins. */
export type FieldErrors = Record<string, string>;

/** How a field shows its bounds, when its stored unit is not the unit the user types (ms shown as s). */
export type BoundFormatter = (value: number) => string;

const BOUND_FORMATTERS: Record<string, BoundFormatter> = {
  intervalMs: (ms) => `${ms / 1000} s`,
};

function defaultBound(path: string, value: number): string {
  const custom = BOUND_FORMATTERS[path];
  if (custom) return custom(value);
  const text = value.toLocaleString('en-US');
  return /Ms$/.test(path) ? `${text} ms` : text;
}

/** Joins a zod issue path into the dotted form the UI keys fields by. */
export function toDottedPath(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join('.');
}

// zod's own wording ("Invalid input: expected int, received number") is for developers; the
// schema's custom messages are already written for users and are kept as they are.
const ZOD_DEFAULT_MESSAGE = /^(Invalid input|Invalid option|Too small|Too big|Invalid)/;

/** Says one zod issue in words a user can act on. */
export function friendlyIssueMessage(issue: z.core.$ZodIssue): string {
  const path = toDottedPath(issue.path);
  if (!ZOD_DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return 'Enter a whole number';
      if (issue.expected === 'number') return 'Enter a number';
      if (issue.expected === 'boolean') return 'Must be on or off (true or false)';
      if (issue.expected === 'string') return 'Must be text';
      if (issue.expected === 'array') return 'Must be a list';
      if (issue.expected === 'object') return 'Must be a group of settings (an object)';
      return issue.message;
    case 'too_small':
      if (issue.origin === 'number') return `Must be at least ${defaultBound(path, Number(issue.minimum))}`;
      if (issue.origin === 'string') return `Must be at least ${Number(issue.minimum)} characters`;
      return `Needs at least ${Number(issue.minimum)} entries`;
    case 'too_big':
      if (issue.origin === 'number') return `Must be at most ${defaultBound(path, Number(issue.maximum))}`;
      if (issue.origin === 'string') return `Must be at most ${Number(issue.maximum)} characters`;
      return `Holds at most ${Number(issue.maximum)} entries`;
    case 'invalid_value':
      return `Must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `Unknown setting: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/** Turns a zod error into a flat list of issues at dotted paths, in user wording. */
export function issuesFromZodError(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: toDottedPath(issue.path),
    message: friendlyIssueMessage(issue),
  }));
}

/** Indexes issues by path, keeping the first message per path. */
export function toFieldErrors(issues: readonly FieldIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    if (!(issue.path in errors)) errors[issue.path] = issue.message;
  }
  return errors;
}

/**
 * The error to show at a field: its own, or else the first one of anything inside it
 * (`customOrigins` shows the error of `customOrigins.2`), so no issue is left without a place.
 */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  if (errors[path] !== undefined) return errors[path];
  const prefix = `${path}.`;
  for (const [key, message] of Object.entries(errors)) {
    if (key.startsWith(prefix)) return message;
  }
  return undefined;
}

/**
 * Whether a field is fixed by policy: the path itself or any parent of it is locked
 * (a locked `gateway` locks `gateway.url`).
 */
export function isPathLocked(lockedFields: readonly string[], path: string): boolean {
  return lockedFields.some((locked) => locked === path || path.startsWith(`${locked}.`));
}

/** A DOM id for a settings path, stable and safe in `id`/`aria-describedby`. */
export function fieldId(path: string, suffix = ''): string {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, '-')}${suffix ? `-${suffix}` : ''}`;
}
