import type { z } from 'zod';
import type { KeyValueArea } from './key-value-area';

/**
 * What a durable module found under its key at start: nothing yet, storage that would not
 * answer (run from memory; the next write tries again), something unreadable (count it, start
 * fresh), or its state.
 */
export type PersistedRead<T> =
  | { status: 'missing' }
  | { status: 'unavailable' }
  | { status: 'corrupt' }
  | { status: 'ok'; value: T };

/** Reads one key and validates it with `schema`; never throws. */
export async function readPersisted<S extends z.ZodType>(
  area: KeyValueArea,
  key: string,
  schema: S,
): Promise<PersistedRead<z.infer<S>>> {
  let raw: unknown;
  try {
    raw = await area.get(key);
  } catch {
    return { status: 'unavailable' };
  }
  if (raw === undefined || raw === null) return { status: 'missing' };
  const parsed = schema.safeParse(raw);
  return parsed.success ? { status: 'ok', value: parsed.data } : { status: 'corrupt' };
}
