import { computed, inject, ref, type InjectionKey } from 'vue';
import {
  customOriginSchema,
  defaultSettings,
  reliabilitySchema,
  settingsSchema,
  type Settings,
} from '../settings/settings-schema';
import type { LoadedSettings, SettingsStore } from '../settings/settings-store-types';
import { getAtPath, setAtPath } from './dotted-path';
import { errorAt, isPathLocked, issuesFromZodError, toFieldErrors, type FieldErrors } from './field-errors';
import { gatewayPermissionPattern, originsToRelease } from './origin-permission';
import { deepEqual, rebaseDraft } from './settings-diff';

export interface SettingsFormDeps {
  store: SettingsStore;
  /** Starts a permission request; called synchronously inside click handlers. */
  requestOrigins(origins: string[]): Promise<boolean>;
  /** Gives back host permissions that saved settings no longer use (removed custom origins). */
  releaseOrigins(origins: string[]): Promise<boolean>;
}

/** A message tied to the value it was about; it disappears once the user changes that value. */
interface PinnedError {
  message: string;
  value: unknown;
}

export type SaveOutcome = 'saved' | 'partly-saved' | 'invalid' | 'failed' | 'busy';

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The options page's state: the saved settings, the draft being edited, validation of the
 * draft with the settings schema (errors by dotted path), locked (policy) fields, and saving
 * with the host permissions that new gateway and custom origins need.
 */
export function createSettingsForm(deps: SettingsFormDeps) {
  const status = ref<'loading' | 'ready' | 'failed'>('loading');
  const loadError = ref('');
  const saved = ref<Settings>(defaultSettings());
  const draft = ref<Settings>(defaultSettings());
  const lockedFields = ref<string[]>([]);
  const repairedFields = ref<string[]>([]);
  const pinned = ref<Record<string, PinnedError>>({});
  const saving = ref(false);
  const lastSave = ref<{ outcome: SaveOutcome; message: string } | null>(null);
  // Patterns the user granted this session (adding a custom origin), so saving does not ask twice.
  const granted = new Set<string>();
  let unwatch: (() => void) | undefined;

  const validation = computed(() => settingsSchema.safeParse(draft.value));
  const schemaErrors = computed<FieldErrors>(() =>
    validation.value.success ? {} : toFieldErrors(issuesFromZodError(validation.value.error)),
  );
  const errors = computed<FieldErrors>(() => {
    const live: FieldErrors = {};
    for (const [path, error] of Object.entries(pinned.value)) {
      if (deepEqual(getAtPath(draft.value, path), error.value)) live[path] = error.message;
    }
    return { ...live, ...schemaErrors.value };
  });
  const isValid = computed(() => validation.value.success);
  const dirty = computed(() => !deepEqual(draft.value, saved.value));
  const statusText = computed(() => {
    if (saving.value) return 'Saving…';
    const invalidCount = Object.keys(schemaErrors.value).length;
    if (!isValid.value) return invalidCount === 1 ? 'Fix the marked field to save.' : `Fix the ${invalidCount} marked fields to save.`;
    if (dirty.value) return 'Unsaved changes.';
    return lastSave.value?.message ?? '';
  });

  function pin(path: string, message: string): void {
    pinned.value = { ...pinned.value, [path]: { message, value: clone(getAtPath(draft.value, path)) } };
  }

  function applyLoaded(loaded: LoadedSettings, rebase: boolean): void {
    const previous = saved.value;
    saved.value = clone(loaded.settings);
    lockedFields.value = [...loaded.lockedFields];
    repairedFields.value = [...loaded.invalidFields];
    draft.value = rebase ? rebaseDraft(draft.value, previous, clone(loaded.settings)) : clone(loaded.settings);
  }

  async function load(): Promise<void> {
    status.value = 'loading';
    try {
      applyLoaded(await deps.store.load(), false);
      unwatch?.();
      unwatch = deps.store.watch((loaded) => applyLoaded(loaded, true));
      status.value = 'ready';
    } catch (error) {
      loadError.value = `Settings could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
      status.value = 'failed';
    }
  }

  /**
   * Saves the draft. Call it straight from the click handler: the permission request for a new
   * gateway origin or new custom origins starts before the first await, as browsers require.
   * A refused permission keeps the old gateway URL / leaves the new origins out and says so at the field.
   */
  function save(): Promise<SaveOutcome> {
    if (saving.value) return Promise.resolve('busy');
    const parsed = validation.value;
    if (!parsed.success) {
      lastSave.value = { outcome: 'invalid', message: 'Not saved: fix the marked fields first.' };
      return Promise.resolve('invalid');
    }
    const next = parsed.data;
    const base = saved.value;
    // The Pushgateway and the remote-write receiver are reached from the background alike.
    const hostPatterns = [
      next.gateway.url !== base.gateway.url ? gatewayPermissionPattern(next.gateway.url) : undefined,
      next.remoteWrite.url !== base.remoteWrite.url ? gatewayPermissionPattern(next.remoteWrite.url) : undefined,
    ].filter((pattern): pattern is string => pattern !== undefined && !granted.has(pattern));
    const newOrigins = next.customOrigins.filter((o) => !base.customOrigins.includes(o) && !granted.has(o));
    const needed = [...new Set(hostPatterns), ...newOrigins];
    const permission = needed.length > 0 ? deps.requestOrigins(needed) : Promise.resolve(true);
    return finishSave(next, permission, needed);
  }

  async function finishSave(next: Settings, permission: Promise<boolean>, needed: string[]): Promise<SaveOutcome> {
    saving.value = true;
    try {
      const allowed = await permission;
      const attemptedUrl = next.gateway.url;
      const attemptedRemoteUrl = next.remoteWrite.url;
      const refusedOrigins: string[] = [];
      if (allowed) {
        for (const pattern of needed) granted.add(pattern);
      } else {
        if (next.gateway.url !== saved.value.gateway.url) next.gateway.url = saved.value.gateway.url;
        if (next.remoteWrite.url !== saved.value.remoteWrite.url) next.remoteWrite.url = saved.value.remoteWrite.url;
        for (const origin of next.customOrigins) {
          if (needed.includes(origin)) refusedOrigins.push(origin);
        }
        next.customOrigins = next.customOrigins.filter((o) => !refusedOrigins.includes(o));
      }
      // Taken before saving: the store's watcher may replace `saved` while the save is awaited.
      const before = saved.value;
      const result = await deps.store.save(next);
      if (!result.ok) {
        pinned.value = {};
        for (const issue of result.issues) pin(issue.path, issue.message);
        lastSave.value = { outcome: 'failed', message: 'Not saved: the settings were refused (see the marked fields).' };
        return 'failed';
      }
      const refusedUrl = attemptedUrl !== result.settings.gateway.url;
      const refusedRemoteUrl = attemptedRemoteUrl !== result.settings.remoteWrite.url;
      const released = originsToRelease(before, result.settings);
      // The save stands whatever the browser answers: a permission it keeps is only unused.
      if (released.length > 0) await deps.releaseOrigins(released);
      saved.value = clone(result.settings);
      draft.value = clone(result.settings);
      pinned.value = {};
      if (!refusedUrl && !refusedRemoteUrl && refusedOrigins.length === 0) {
        lastSave.value = { outcome: 'saved', message: 'Saved' };
        return 'saved';
      }
      // Keep what the user typed visible, with the reason it was not saved.
      if (refusedUrl) {
        draft.value.gateway.url = attemptedUrl;
        pin('gateway.url', `Access to ${gatewayPermissionPattern(attemptedUrl) ?? attemptedUrl} was refused, so this URL was not saved. Save again and allow access.`);
      }
      if (refusedRemoteUrl) {
        draft.value.remoteWrite.url = attemptedRemoteUrl;
        pin('remoteWrite.url', `Access to ${gatewayPermissionPattern(attemptedRemoteUrl) ?? attemptedRemoteUrl} was refused, so this URL was not saved. Save again and allow access.`);
      }
      if (refusedOrigins.length > 0) {
        draft.value.customOrigins = [...draft.value.customOrigins, ...refusedOrigins];
        pin('customOrigins', `Access was refused for ${refusedOrigins.join(', ')}, so they were not saved.`);
      }
      lastSave.value = { outcome: 'partly-saved', message: 'Saved, except what access was refused for.' };
      return 'partly-saved';
    } catch (error) {
      lastSave.value = {
        outcome: 'failed',
        message: `Not saved: ${error instanceof Error ? error.message : String(error)}`,
      };
      return 'failed';
    } finally {
      saving.value = false;
    }
  }

  /**
   * Adds a custom origin to the draft after the browser grants access to it. Call from the click
   * handler: the request starts synchronously. Resolves with the error to show, or undefined.
   */
  function addCustomOrigin(value: string): Promise<string | undefined> {
    const parsed = customOriginSchema.safeParse(value);
    if (!parsed.success) return Promise.resolve(issuesFromZodError(parsed.error)[0]?.message ?? 'Not a valid origin');
    const pattern = parsed.data;
    if (draft.value.customOrigins.includes(pattern)) return Promise.resolve(`${pattern} is already in the list.`);
    const permission = deps.requestOrigins([pattern]);
    return permission.then((allowed) => {
      if (!allowed) return `Access to ${pattern} was refused, so it was not added.`;
      granted.add(pattern);
      if (!draft.value.customOrigins.includes(pattern)) draft.value.customOrigins.push(pattern);
      return undefined;
    });
  }

  function removeCustomOrigin(pattern: string): void {
    draft.value.customOrigins = draft.value.customOrigins.filter((o) => o !== pattern);
  }

  /** Puts the reliability thresholds back to their defaults in the draft (locked ones stay). */
  function resetReliability(): void {
    const defaults = reliabilitySchema.parse({});
    for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
      if (!isPathLocked(lockedFields.value, `reliability.${key}`)) draft.value.reliability[key] = defaults[key];
    }
  }

  /** Replaces the draft with imported settings and saves them (call from the confirm click). */
  function applyImport(settings: Settings): Promise<SaveOutcome> {
    const next = clone(settings);
    for (const path of lockedFields.value) setAtPath(next, path, clone(getAtPath(saved.value, path)));
    draft.value = next;
    return save();
  }

  return {
    status,
    loadError,
    saved,
    draft,
    lockedFields,
    repairedFields,
    errors,
    isValid,
    dirty,
    saving,
    lastSave,
    statusText,
    load,
    save,
    addCustomOrigin,
    removeCustomOrigin,
    resetReliability,
    applyImport,
    errorFor: (path: string) => errorAt(errors.value, path),
    isLocked: (path: string) => isPathLocked(lockedFields.value, path),
    dispose: () => unwatch?.(),
  };
}

/**
 * A store that is created on first use, so a store that fails to start (storage unavailable)
 * shows as a load error on the page instead of breaking the page's setup.
 */
export function deferredStore(create: () => SettingsStore): SettingsStore {
  let store: SettingsStore | undefined;
  const get = () => (store ??= create());
  return {
    load: async () => get().load(),
    save: async (next) => get().save(next),
    watch: (callback) => get().watch(callback),
    health: () => get().health(),
  };
}

export type SettingsForm = ReturnType<typeof createSettingsForm>;

export const SETTINGS_FORM_KEY: InjectionKey<SettingsForm> = Symbol('settings-form');

/** The options page's form, provided by the page's root component. */
export function useSettingsForm(): SettingsForm {
  const form = inject(SETTINGS_FORM_KEY);
  if (!form) throw new Error('useSettingsForm() needs the options page to provide SETTINGS_FORM_KEY');
  return form;
}
