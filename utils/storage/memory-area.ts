import { StorageError } from '../resilience/storage-circuit-breaker';
import type { TieredArea } from './tiered-area';

export interface MemoryAreaOptions {
  /** Most keys held. Default 1,000. */
  maxKeys?: number;
  /** Most bytes (JSON) held in total, like `storage.local`'s 10 MB. Default 10,000,000. */
  maxBytes?: number;
}

/**
 * The last storage tier: a map that lives as long as this context. Values are copied through
 * JSON on the way in and out, so callers see the same semantics as the browser's storage (no shared
 * references, no functions, unserialisable values rejected) whichever tier is active.
 */
export function createMemoryArea(options: MemoryAreaOptions = {}): TieredArea {
  const maxKeys = options.maxKeys ?? 1_000;
  const maxBytes = options.maxBytes ?? 10_000_000;
  const data = new Map<string, string>();
  let bytes = 0;

  function encode(key: string, value: unknown): string {
    try {
      const json = JSON.stringify(value);
      if (json === undefined) throw new TypeError(`value of ${key} is not serializable`);
      return json;
    } catch (error) {
      throw new StorageError('invalid-data', `memory: ${key}: ${String(error)}`, { cause: error });
    }
  }

  return {
    name: 'memory',
    async get(key) {
      const json = data.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as unknown);
    },
    async getMany(keys) {
      const result: Record<string, unknown> = {};
      for (const key of keys) {
        const json = data.get(key);
        if (json !== undefined) result[key] = JSON.parse(json);
      }
      return result;
    },
    async set(items) {
      const encoded = Object.entries(items)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [key, encode(key, value)] as const);
      let nextBytes = bytes;
      let nextKeys = data.size;
      for (const [key, json] of encoded) {
        const old = data.get(key);
        nextBytes += json.length - (old?.length ?? 0);
        if (old === undefined) nextKeys += 1;
      }
      // All or nothing: a write over quota leaves the last tier as it was.
      if (nextKeys > maxKeys || nextBytes > maxBytes) {
        throw new StorageError('quota', `memory: quota exceeded (${nextKeys} keys, ${nextBytes} bytes)`);
      }
      for (const [key, json] of encoded) data.set(key, json);
      bytes = nextBytes;
    },
    async remove(keys) {
      for (const key of Array.isArray(keys) ? keys : [keys]) {
        const old = data.get(key);
        if (old !== undefined) bytes -= old.length;
        data.delete(key);
      }
    },
  };
}
