import type { KeyValueArea } from './key-value-area';
import type { StorageTierName } from './extension-storage';

/** One storage tier: a key-value area that knows its name and can read several keys at once. */
export interface TieredArea extends KeyValueArea {
  readonly name: StorageTierName;
  /** Reads several keys in one call; missing keys are absent from the result. */
  getMany(keys: string[]): Promise<Record<string, unknown>>;
}
