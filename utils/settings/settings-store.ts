import type { z } from 'zod';
import type { storageHealthSchema } from '../messaging/health';
import {
  describeError,
  type StorageCircuitBreakerOptions,
} from '../resilience/storage-circuit-breaker';
import { createStorageAdapter, itemBytes, type StorageAdapter } from '../storage/extension-storage';
import { createGuardedArea, type GuardedArea } from '../storage/guarded-area';
import { LEGACY_KEYS, hasLegacySettings, migrateLegacySettings } from './legacy-migration';
import { MANAGED_POLICY_KEYS, applyManagedPolicy, getPath, setPath, type PolicyResult } from './managed-policy';
import { repairSettings } from './settings-repair';
import { settingsSchema, type Settings, type SettingsInput } from './settings-schema';
import {
  carriesSecrets,
  noSecrets,
  secretsOf,
  secretsSchema,
  storedSecrets,
  withSecrets,
  withoutSecrets,
  type SettingsSecrets,
} from './settings-secrets';
import type { LoadedSettings, SaveResult, SettingsStore } from './settings-store-types';

type StorageHealth = z.infer<typeof storageHealthSchema>;

const NO_POLICY_PATTERN = /manifest not found|not supported|not implemented/i;
type SettingsTier = StorageHealth['tier'];

export interface SettingsStoreOptions {
  /** Defaults to the adapter over the browser's storage; tests pass one over fault-injecting areas. */
  storage?: StorageAdapter;
  /** Storage key of the settings record. Default 'settings'. */
  key?: string;
  /**
   * Saves within this window are written once (sync allows ~120 writes a minute). save()
   * still resolves only once its value is persisted. Default 200 ms; 0 writes at once.
   */
  debounceMs?: number;
  /** Largest item sync accepts, in bytes. Default the area's QUOTA_BYTES_PER_ITEM, else 8,192. */
  syncItemQuotaBytes?: number;
  /** Longest wait for `storage.managed`, which may never answer where no policy exists, in ms. Default 2,000. */
  managedTimeoutMs?: number;
  breaker?: StorageCircuitBreakerOptions;
  now?: () => number;
}

/** The settings store plus what the background and tests need beyond the contract. */
export interface ResilientSettingsStore extends SettingsStore {
  /** Policy fields that were ignored at the last load (unknown or invalid). */
  policyIssues(): PolicyResult['issues'];
  /** Writes a pending debounced save now. */
  flush(): Promise<void>;
  /** Removes the storage listener and cancels timers. */
  dispose(): void;
}

interface StoredRecord {
  value: unknown;
  savedAt: number;
  tier: SettingsTier;
}

interface PendingSave {
  user: Settings;
  waiters: { resolve: () => void }[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Creates the settings store (seed plan 3.2 for settings): the record lives in
 * `storage.sync` under one key with its save time beside it (`<key>SavedAt`, written in the
 * same set() call); when sync fails, is over quota, or the record is larger than sync's per-item
 * quota, it goes to `storage.local`, and to memory when both fail. Loading reads both areas
 * and takes the newest record, so a fallback copy is never shadowed by an older sync copy.
 * A sync write that succeeds removes the local copy.
 *
 * Secrets (the gateway password) never go to sync, which copies them to the user's browser
 * account: they live in `storage.local` under `<key>Secrets` (see settings-secrets.ts), and a
 * record written by an older version with its password inside is moved there on load.
 *
 * Loading never throws: fields are validated one by one and invalid ones replaced by defaults
 * (reported in `invalidFields`); loading never writes back repairs, so a record of a newer
 * version is not destroyed by a downgrade. The older exporters' flat keys are migrated once,
 * when no record exists, and left in place (see legacy-migration.ts). Admin policy from
 * `storage.managed` overrides fields one by one and locks them; save() keeps the user's
 * earlier value of a locked field, so removing the policy restores the user's own choice.
 */
export function createSettingsStore(options: SettingsStoreOptions = {}): ResilientSettingsStore {
  const storage = options.storage ?? createStorageAdapter();
  const key = options.key ?? 'settings';
  const savedAtKey = `${key}SavedAt`;
  const secretsKey = `${key}Secrets`;
  const debounceMs = options.debounceMs ?? 200;
  const now = options.now ?? Date.now;
  const managedTimeoutMs = options.managedTimeoutMs ?? 2_000;

  const rawSync = storage.area('sync');
  const rawLocal = storage.area('local');
  const managed = storage.managed();
  const sync: GuardedArea | undefined = rawSync ? createGuardedArea(rawSync, options.breaker) : undefined;
  const local: GuardedArea | undefined = rawLocal ? createGuardedArea(rawLocal, options.breaker) : undefined;
  const syncItemQuota = options.syncItemQuotaBytes ?? rawSync?.quotaBytesPerItem ?? 8_192;

  let tier: SettingsTier = sync ? 'sync' : local ? 'local' : 'memory';
  let lastError: string | null = null;
  let memoryRecord: StoredRecord | undefined;
  let lastSavedAt = 0;
  let lastUser: Settings | undefined;
  let lastPolicy: unknown = undefined;
  let lastPolicyIssues: PolicyResult['issues'] = [];
  let pending: PendingSave | undefined;
  let writeChain: Promise<unknown> = Promise.resolve();
  const watchers = new Set<(loaded: LoadedSettings) => void>();
  let unsubscribe: (() => void)[] | undefined;
  /** Secrets that storage.local did not take; kept here (never in sync) until it does. */
  let memorySecrets: SettingsSecrets | undefined;
  /** JSON of the secrets storage.local holds, when known: an unchanged secret is not rewritten. */
  let savedSecretsJson: string | undefined;
  /** The stored secrets could not be read: a blank password must not overwrite them. */
  let secretsUnknown = false;

  function fail(error: unknown): void {
    lastError = describeError(error);
  }

  async function readManagedOnce(): Promise<unknown> {
    if (!managed) return undefined;
    for (let attempt = 0; ; attempt += 1) {
      try {
        // Policy is shaped like the settings: its top-level keys are the settings' keys.
        return await managed.getMany(MANAGED_POLICY_KEYS);
      } catch (error) {
        // Firefox without a policy manifest rejects: that means "no policy", not a failure.
        if (NO_POLICY_PATTERN.test(describeError(error))) return undefined;
        if (attempt >= 2) {
          fail(error);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }

  /** The admin policy, or undefined when there is none or it cannot be read in time. */
  async function readManaged(): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        readManagedOnce(),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), managedTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function readRecord(area: GuardedArea | undefined): Promise<StoredRecord | undefined | 'failed'> {
    if (!area) return undefined;
    try {
      const values = await area.getMany([key, savedAtKey]);
      if (values[key] === undefined) return undefined;
      const savedAt = typeof values[savedAtKey] === 'number' ? (values[savedAtKey] as number) : 0;
      return { value: values[key], savedAt, tier: area.name as SettingsTier };
    } catch (error) {
      fail(error);
      return 'failed';
    }
  }

  async function readLegacy(): Promise<Record<string, unknown> | undefined | 'failed'> {
    if (!sync) return undefined;
    try {
      const values = await sync.getMany([...LEGACY_KEYS]);
      return hasLegacySettings(values) ? values : undefined;
    } catch (error) {
      fail(error);
      return 'failed';
    }
  }

  /** The secrets in storage.local (or held in memory), blank when there are none. */
  async function readSecrets(): Promise<{ secrets: SettingsSecrets; invalid: boolean }> {
    const none = { secrets: secretsSchema.parse({}), invalid: false };
    if (memorySecrets) {
      const held = memorySecrets;
      // Held since storage.local failed: try to store them again now.
      await persistSecrets(held);
      return { secrets: held, invalid: false };
    }
    if (!local) return none;
    try {
      const raw = await local.get(secretsKey);
      secretsUnknown = false;
      if (raw === undefined) return none;
      const parsed = secretsSchema.safeParse(raw);
      if (!parsed.success) return { ...none, invalid: true };
      savedSecretsJson = JSON.stringify(parsed.data);
      return { secrets: parsed.data, invalid: false };
    } catch (error) {
      fail(error);
      secretsUnknown = true;
      return none;
    }
  }

  /** Writes the secrets to storage.local, never to sync; true when they are stored there. */
  async function persistSecrets(secrets: SettingsSecrets): Promise<boolean> {
    const json = JSON.stringify(secrets);
    if (json === savedSecretsJson && memorySecrets === undefined) return true;
    // Blanks filled in for secrets that could not be read are not the user's choice.
    if (secretsUnknown && noSecrets(secrets)) return false;
    if (local) {
      try {
        await local.set({ [secretsKey]: storedSecrets(secrets) });
        savedSecretsJson = json;
        memorySecrets = undefined;
        secretsUnknown = false;
        return true;
      } catch (error) {
        fail(error);
      }
    }
    memorySecrets = secrets;
    return false;
  }

  /** Writes the user's settings to the best tier that takes them; returns that tier. */
  async function persist(user: Settings): Promise<SettingsTier> {
    const savedAt = Math.max(now(), lastSavedAt + 1);
    lastSavedAt = savedAt;
    await persistSecrets(secretsOf(user));
    const record = withoutSecrets(user);
    // The value before its save time: the adapter writes one key per call, and a save time
    // written without its value would make an older value look newest.
    const items = { [key]: record, [savedAtKey]: savedAt };

    if (sync) {
      const bytes = itemBytes(key, record);
      if (bytes <= syncItemQuota) {
        try {
          await sync.set(items);
          tier = 'sync';
          memoryRecord = undefined;
          // The local copy is older now; remove it so it cannot be mistaken for the newest.
          await local?.remove([key, savedAtKey]).catch(fail);
          return tier;
        } catch (error) {
          fail(error);
        }
      } else {
        lastError = `settings are ${bytes} bytes, over sync's ${syncItemQuota}-byte item quota: kept in local`;
      }
    }
    if (local) {
      try {
        await local.set(items);
        tier = 'local';
        memoryRecord = undefined;
        return tier;
      } catch (error) {
        fail(error);
      }
    }
    // Only a record that no storage took is kept here, to be persisted once storage answers.
    memoryRecord = { value: record, savedAt, tier: 'memory' };
    tier = 'memory';
    return tier;
  }

  function effective(user: Settings, policy: unknown, invalidFields: string[]): LoadedSettings {
    const applied = applyManagedPolicy(user, policy);
    lastPolicyIssues = applied.issues;
    return { settings: applied.settings, invalidFields, lockedFields: applied.lockedFields };
  }

  async function load(): Promise<LoadedSettings> {
    const [policy, fromSync, fromLocal, stored] = await Promise.all([
      readManaged(),
      readRecord(sync),
      readRecord(local),
      readSecrets(),
    ]);
    lastPolicy = policy;
    const secretIssues = stored.invalid ? ['gateway.password'] : [];
    const candidates = [fromSync, fromLocal, memoryRecord].filter(
      (record): record is StoredRecord => record !== undefined && record !== 'failed',
    );
    // Newest wins; on a tie the earlier (preferred) tier does.
    const newest = candidates.reduce<StoredRecord | undefined>(
      (best, record) => (best === undefined || record.savedAt > best.savedAt ? record : best),
      undefined,
    );

    if (newest) {
      lastSavedAt = Math.max(lastSavedAt, newest.savedAt);
      const repaired = repairSettings(newest.value);
      if (carriesSecrets(repaired.settings)) {
        // Written by a version that kept the password in the record: it moves to storage.local,
        // and the record is rewritten without it only once local holds it.
        lastUser = repaired.settings;
        if (await persistSecrets(secretsOf(repaired.settings))) await persist(repaired.settings);
        else tier = newest.tier;
        return effective(repaired.settings, policy, repaired.invalidFields);
      }
      const user = withSecrets(repaired.settings, stored.secrets);
      lastUser = user;
      if (newest.tier === 'memory' && ((sync && fromSync !== 'failed') || (local && fromLocal !== 'failed'))) {
        // Saved while storage was down; storage answers again, so persist it now.
        await persist(user);
      } else {
        tier = newest.tier;
      }
      return effective(user, policy, [...repaired.invalidFields, ...secretIssues]);
    }

    const legacy = fromSync === 'failed' ? 'failed' : await readLegacy();
    if (legacy !== undefined && legacy !== 'failed') {
      const repaired = repairSettings(migrateLegacySettings(legacy));
      lastUser = repaired.settings;
      await persist(repaired.settings);
      // The older layout's password is the one legacy key not left in place: sync copies it to
      // the user's account. Removed only once storage.local holds it.
      if (legacy.password !== undefined && memorySecrets === undefined) await sync?.remove(['password']).catch(fail);
      return effective(repaired.settings, policy, repaired.invalidFields);
    }

    // Nothing found. If an area could not be read, the user's settings may exist there: say
    // so with the memory tier rather than claim the defaults are what is stored.
    const uncertain = fromSync === 'failed' || fromLocal === 'failed' || legacy === 'failed';
    tier = uncertain ? 'memory' : sync ? 'sync' : local ? 'local' : 'memory';
    const user = withSecrets(repairSettings(undefined).settings, stored.secrets);
    lastUser = user;
    return effective(user, policy, secretIssues);
  }

  function runWrite(save: PendingSave): void {
    if (pending === save) pending = undefined;
    clearTimeout(save.timer);
    writeChain = writeChain
      .then(() => persist(save.user))
      .catch(fail)
      .finally(() => {
        for (const waiter of save.waiters) waiter.resolve();
        if (tier === 'memory') void notifyWatchers();
      });
  }

  function schedule(user: Settings): Promise<void> {
    return new Promise<void>((resolve) => {
      if (pending) {
        pending.user = user;
        pending.waiters.push({ resolve });
        return;
      }
      const save: PendingSave = { user, waiters: [{ resolve }], timer: undefined };
      if (debounceMs <= 0) {
        runWrite(save);
        return;
      }
      pending = save;
      save.timer = setTimeout(() => runWrite(save), debounceMs);
    });
  }

  async function save(next: SettingsInput): Promise<SaveResult> {
    const parsed = settingsSchema.safeParse(next);
    if (!parsed.success) {
      return {
        ok: false,
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      };
    }
    if (lastUser === undefined) await load();
    const previous = lastUser ?? parsed.data;
    const locked = applyManagedPolicy(previous, lastPolicy).lockedFields;
    const user = structuredClone(parsed.data) as Record<string, unknown>;
    // A locked field keeps the user's own earlier value: policy decides while it exists.
    for (const path of locked) setPath(user, path, getPath(previous, path));
    const userSettings = settingsSchema.parse(user);
    lastUser = userSettings;
    await schedule(userSettings);
    return { ok: true, settings: applyManagedPolicy(userSettings, lastPolicy).settings };
  }

  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  async function notifyWatchers(): Promise<void> {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        reloadAgain = false;
        const loaded = await load();
        for (const watcher of watchers) {
          try {
            watcher(loaded);
          } catch {
            // One watcher's bug must not stop the others.
          }
        }
      } while (reloadAgain);
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  function listen(on: boolean): void {
    if (on && !unsubscribe) {
      const changed = () => void notifyWatchers();
      unsubscribe = [
        rawSync?.onChange([key, savedAtKey, ...LEGACY_KEYS], changed),
        rawLocal?.onChange([key, savedAtKey, secretsKey], changed),
        managed?.onChange(MANAGED_POLICY_KEYS, changed),
      ].filter((stop): stop is () => void => stop !== undefined);
    }
    if (!on && unsubscribe) {
      for (const stop of unsubscribe) stop();
      unsubscribe = undefined;
    }
  }

  return {
    load,
    save,
    watch(callback) {
      watchers.add(callback);
      listen(true);
      return () => {
        watchers.delete(callback);
        if (watchers.size === 0) listen(false);
      };
    },
    health() {
      const breakers = [sync, local].filter((area): area is GuardedArea => area !== undefined);
      return {
        tier,
        // The preferred area's breaker: open means sync is known broken, whatever tier is in use.
        breaker: breakers[0]?.breaker.state() ?? 'closed',
        failures: breakers.reduce((sum, area) => sum + area.breaker.health().failures, 0),
        lastError,
      };
    },
    policyIssues() {
      return lastPolicyIssues;
    },
    async flush() {
      if (pending) runWrite(pending);
      await writeChain;
    },
    dispose() {
      listen(false);
      watchers.clear();
      if (pending) runWrite(pending);
    },
  };
}
