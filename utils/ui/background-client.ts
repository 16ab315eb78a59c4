import type { z } from 'zod';

/** An answer from the background, or why there is none, in words for the user. */
export type BackgroundReply<T> = { ok: true; value: T } | { ok: false; error: string };

/** Said when the background does not answer at all (not started, crashed, no listener yet). */
export const BACKGROUND_UNREACHABLE = 'Background not reachable';

/**
 * Calls the background and never throws: a rejected call, a timeout or an answer of the wrong
 * shape (checked with the zod schema) come back as `{ ok: false, error }`, so the page still
 * renders and says what is wrong.
 */
export async function askBackground<S extends z.ZodType>(
  call: () => Promise<unknown>,
  schema: S,
  timeoutMs = 5_000,
): Promise<BackgroundReply<z.infer<S>>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(call), timeout]);
    const parsed = schema.safeParse(answer);
    if (!parsed.success) return { ok: false, error: `${BACKGROUND_UNREACHABLE}: it answered with unexpected data` };
    return { ok: true, value: parsed.data };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${BACKGROUND_UNREACHABLE}: ${detail}` };
  } finally {
    clearTimeout(timer);
  }
}
