import { z } from 'zod';

/** Any zod schema, as the field-by-field walks over the settings schema see one. */
export type AnySchema = z.ZodType;

/** The schema under any `.default(...)` wrappers, so a walk sees the object/array it describes. */
export function unwrapDefault(schema: AnySchema): AnySchema {
  let current = schema;
  while (current instanceof z.ZodDefault) current = current.unwrap() as AnySchema;
  return current;
}

/** A non-null, non-array object: what a settings record or one of its sections must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
