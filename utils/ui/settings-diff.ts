/** One changed setting: its dotted path and both values (arrays compare and show as a whole). */
export interface SettingChange {
  path: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON-like values (objects, arrays, primitives). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!deepEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/**
 * Lists what differs between two settings objects, leaf by leaf, in a stable order
 * (the order of `before`'s keys, then new keys). Lists are leaves: a changed list is one entry.
 */
export function diffSettings(before: unknown, after: unknown, prefix = ''): SettingChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffSettings(before[key], after[key], prefix ? `${prefix}.${key}` : key));
  }
  return deepEqual(before, after) ? [] : [{ path: prefix, before, after }];
}

/** Writes a value for the diff list: strings quoted, lists comma-separated, secrets hidden. */
export function formatChangeValue(path: string, value: unknown): string {
  if (value === undefined) return '(not set)';
  if (/(password|token)$/i.test(path)) return value === '' ? '(empty)' : '••••••';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((v) => String(v)).join(', ');
  if (typeof value === 'string') return value === '' ? '(empty)' : JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return JSON.stringify(value);
}

/** "path: old -> new" for one change. */
export function describeChange(change: SettingChange): string {
  return `${change.path}: ${formatChangeValue(change.path, change.before)} -> ${formatChangeValue(change.path, change.after)}`;
}

/**
 * Brings an edited draft onto a newer saved base: every value the user left as it was in the
 * old base takes the new base's value; every value the user edited stays. So a change made
 * elsewhere (the popup's capture toggle) is not undone by saving an unrelated edit here.
 */
export function rebaseDraft<T>(draft: T, oldBase: T, newBase: T): T {
  if (isPlainObject(draft) && isPlainObject(oldBase) && isPlainObject(newBase)) {
    const result: Record<string, unknown> = {};
    const keys = new Set([...Object.keys(newBase), ...Object.keys(draft)]);
    for (const key of keys) result[key] = rebaseDraft(draft[key], oldBase[key], newBase[key]);
    return result as T;
  }
  return deepEqual(draft, oldBase) ? structuredClone(newBase) : draft;
}
