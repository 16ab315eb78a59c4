import { z } from 'zod';
import { SETTINGS_VERSION, defaultSettings, settingsSchema, type Settings } from './settings-schema';
import { isPlainObject, unwrapDefault, type AnySchema } from './schema-walk';

/** How the stored record's `version` compared with this build's {@link SETTINGS_VERSION}. */
export type StoredVersion = 'current' | 'missing' | 'older' | 'newer' | 'invalid';

export interface RepairResult {
  settings: Settings;
  /** Dotted paths replaced by defaults (array elements as `statsTypes.3`); `settings` when the whole record was unusable. */
  invalidFields: string[];
  version: StoredVersion;
}

/** Path reported when the stored record is not an object at all (garbage string, number, array). */
export const WHOLE_RECORD_PATH = 'settings';

/**
 * Migrations of the stored layout, keyed by the version they upgrade from. Version 1 is the
 * first layout of this extension; the older extensions' flat layout is handled by
 * `migrateLegacySettings`, since it has no version field at all.
 */
const MIGRATIONS: Record<number, (record: Record<string, unknown>) => Record<string, unknown>> = {
  1: migrateNamingMode,
};

/**
 * Version 1 → 2: `namingMode` became `exportProfile`. `legacy` stays legacy (its dashboards
 * need the old names); `conventional` was the default nobody had to choose, so it becomes the
 * new default, `quality` — users who want the raw fields back pick `full`.
 */
function migrateNamingMode(record: Record<string, unknown>): Record<string, unknown> {
  const { namingMode, ...rest } = record;
  if (rest.exportProfile !== undefined) return { ...rest, version: 2 };
  return { ...rest, version: 2, ...(namingMode === 'legacy' ? { exportProfile: 'legacy' } : {}) };
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

/**
 * Validates `value` against `schema` field by field: each invalid leaf is replaced by its
 * default and its path reported; an array keeps its valid elements and reports the others.
 */
export function repairValue(
  schema: AnySchema,
  value: unknown,
  path: string,
  invalid: string[],
): unknown {
  if (value === undefined) return schema.parse(undefined);
  const base = unwrapDefault(schema);
  const fallback = (): unknown => {
    invalid.push(path === '' ? WHOLE_RECORD_PATH : path);
    return schema.parse(undefined);
  };

  if (base instanceof z.ZodObject) {
    if (!isPlainObject(value)) return fallback();
    const shape = base.shape as Record<string, AnySchema>;
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(shape)) {
      result[key] = repairValue(child, value[key], join(path, key), invalid);
    }
    const whole = base.safeParse(result);
    if (whole.success) return whole.data;
    // Every leaf is valid, so a cross-field rule failed (e.g. push interval below the poll
    // interval): the fields it names go back to their defaults, not the whole object.
    const defaults = base.safeParse({});
    if (!defaults.success) return fallback();
    for (const issue of whole.error.issues) {
      const at = issue.path.map(String);
      if (at.length === 0) continue;
      setAt(result, at, getAt(defaults.data, at));
      invalid.push(at.reduce((joined, part) => join(joined, part), path));
    }
    const again = base.safeParse(result);
    return again.success ? again.data : fallback();
  }

  if (base instanceof z.ZodArray) {
    if (!Array.isArray(value)) return fallback();
    const element = base.element as AnySchema;
    const kept: unknown[] = [];
    value.forEach((item, index) => {
      const parsed = element.safeParse(item);
      if (parsed.success) kept.push(parsed.data);
      else invalid.push(join(path, index));
    });
    const whole = base.safeParse(kept);
    return whole.success ? whole.data : fallback();
  }

  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : fallback();
}

function getAt(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const part of path) current = isPlainObject(current) ? current[part] : undefined;
  return structuredClone(current);
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  for (const part of path.slice(0, -1)) {
    const next = current[part];
    if (!isPlainObject(next)) return;
    // Copy on the way down: `result` shares parsed sections with nothing else, but be safe.
    current[part] = { ...next };
    current = current[part] as Record<string, unknown>;
  }
  current[path[path.length - 1]!] = value;
}

function readVersion(record: Record<string, unknown>): StoredVersion {
  const version = record.version;
  if (version === undefined) return 'missing';
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return 'invalid';
  if (version === SETTINGS_VERSION) return 'current';
  return version > SETTINGS_VERSION ? 'newer' : 'older';
}

/** A stored value that is a JSON string of an object (hand-edited or older code) is read as that object. */
function asRecord(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * Turns whatever was stored under the settings key into valid settings, never throwing:
 * migrations bring older versions up; a newer version (after a downgrade) keeps the fields
 * this build understands and reports `version`; every invalid field is replaced by its
 * default and reported by dotted path.
 */
export function repairSettings(raw: unknown): RepairResult {
  const invalidFields: string[] = [];
  const record = asRecord(raw);
  if (record === undefined || record === null) {
    return { settings: defaultSettings(), invalidFields, version: 'missing' };
  }
  if (!isPlainObject(record)) {
    return { settings: defaultSettings(), invalidFields: [WHOLE_RECORD_PATH], version: 'invalid' };
  }

  const version = readVersion(record);
  let working: Record<string, unknown> = record;
  if (version === 'older') {
    let from = working.version as number;
    while (from < SETTINGS_VERSION) {
      const migrate = MIGRATIONS[from];
      if (!migrate) {
        invalidFields.push('version');
        break;
      }
      working = migrate(working);
      from = typeof working.version === 'number' && working.version > from ? working.version : from + 1;
    }
  } else if (version === 'newer' || version === 'invalid') {
    invalidFields.push('version');
  }
  const current = { ...working, version: SETTINGS_VERSION };

  const repaired = repairValue(settingsSchema, current, '', invalidFields);
  const checked = settingsSchema.safeParse(repaired);
  if (!checked.success) {
    // Only reachable if the schema gains cross-field rules that the leaves cannot see.
    for (const issue of checked.error.issues) invalidFields.push(issue.path.join('.') || WHOLE_RECORD_PATH);
    return { settings: defaultSettings(), invalidFields: unique(invalidFields), version };
  }
  return { settings: checked.data, invalidFields: unique(invalidFields), version };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
