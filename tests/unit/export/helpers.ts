import type { KeyValueArea } from '@/utils/storage/key-value-area';

/** A KeyValueArea over a Map that deep-copies like browser storage, and can be made to fail. */
export function createMapArea(initial: Record<string, unknown> = {}) {
  const data = new Map<string, unknown>(Object.entries(initial).map(([k, v]) => [k, structuredClone(v)]));
  let failing = false;
  let writes = 0;
  const area: KeyValueArea & {
    data: Map<string, unknown>;
    setFailing(value: boolean): void;
    writes(): number;
  } = {
    data,
    async get(key) {
      if (failing) throw new Error('storage unavailable');
      return structuredClone(data.get(key));
    },
    async set(items) {
      if (failing) throw new Error('storage unavailable');
      writes += 1;
      for (const [key, value] of Object.entries(items)) data.set(key, structuredClone(value));
    },
    async remove(keys) {
      if (failing) throw new Error('storage unavailable');
      for (const key of Array.isArray(keys) ? keys : [keys]) data.delete(key);
    },
    setFailing(value) {
      failing = value;
    },
    writes: () => writes,
  };
  return area;
}
