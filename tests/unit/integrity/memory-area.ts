import type { KeyValueArea } from '../../../utils/storage/key-value-area';

/** A Map-backed KeyValueArea that stores structured clones, like browser storage does, and can be made to fail. */
export function createMemoryArea(initial: Record<string, unknown> = {}) {
  const data = new Map<string, unknown>(Object.entries(initial));
  let failWith: Error | null = null;
  let writes = 0;
  const area: KeyValueArea = {
    async get(key) {
      if (failWith) throw failWith;
      return structuredClone(data.get(key));
    },
    async set(items) {
      if (failWith) throw failWith;
      writes++;
      for (const [key, value] of Object.entries(items)) data.set(key, structuredClone(value));
    },
    async remove(keys) {
      if (failWith) throw failWith;
      for (const key of Array.isArray(keys) ? keys : [keys]) data.delete(key);
    },
  };
  return {
    area,
    data,
    writes: () => writes,
    fail: (error: Error | null) => {
      failWith = error;
    },
  };
}
