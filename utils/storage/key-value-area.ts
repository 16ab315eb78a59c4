/**
 * The smallest storage surface the durable parts (outbox, tracker, breaker state, settings)
 * need. Implemented over `browser.storage.*` with a circuit breaker and fallback tiers, and
 * by a plain map in unit tests.
 */
export interface KeyValueArea {
  get(key: string): Promise<unknown>;
  /** Writes all items in one call, so related keys change together. */
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}
