import type { Settings, SettingsInput } from './settings-schema';
import type { z } from 'zod';
import type { storageHealthSchema } from '../messaging/health';

/** Settings as loaded: always usable, with what had to be repaired said. */
export interface LoadedSettings {
  settings: Settings;
  /** Dotted paths of stored fields that were invalid and replaced by their defaults. */
  invalidFields: string[];
  /** Dotted paths fixed by admin policy (storage.managed); the UI shows them locked. */
  lockedFields: string[];
}

export type SaveResult =
  | { ok: true; settings: Settings }
  | { ok: false; issues: { path: string; message: string }[] };

/** Owner of the settings: validation, storage tiers, migrations, policy. */
export interface SettingsStore {
  load(): Promise<LoadedSettings>;
  /** Validates with the settings schema; saves nothing when invalid. */
  save(next: SettingsInput): Promise<SaveResult>;
  /** Calls back with the effective settings whenever they change (any tier, any context). */
  watch(callback: (loaded: LoadedSettings) => void): () => void;
  health(): z.infer<typeof storageHealthSchema>;
}
