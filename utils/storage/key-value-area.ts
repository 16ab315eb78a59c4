/**
 * The smallest storage surface the durable parts (outbox, tracker, breaker state, settings)
 * need. Implemented over the storage adapter (extension-storage.ts) with a circuit breaker and
 * fallback tiers, and by a plain map in unit tests.
 */
export interface KeyValueArea {
  get(key: string): Promise<unknown>;
  /**
   * Writes the items one key at a time, in the order given (@webext-core/storage writes one
   * key per call): state that must change together belongs under one key.
   */
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}
