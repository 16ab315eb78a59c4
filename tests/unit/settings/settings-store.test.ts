import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createSettingsStore, type SettingsStoreOptions } from '../../../utils/settings/settings-store';
import { defaultSettings, settingsSchema, type Settings } from '../../../utils/settings/settings-schema';
import type { LoadedSettings } from '../../../utils/settings/settings-store-types';
import { createFaultyStorage, type FaultyStorage } from '../storage/faulty-storage';

const fastBreaker = {
  maxAttempts: 2,
  retryInitialDelayMs: 1,
  retryMaxDelayMs: 2,
  operationTimeoutMs: 1_000,
  halfOpenInitialDelayMs: 10,
  halfOpenMaxDelayMs: 10,
};

function withChanges(change: (settings: Settings) => void): Settings {
  const settings = defaultSettings();
  change(settings);
  return settings;
}

/** ~120 bytes each: 100 of them put the settings well over sync's 8 KB item quota. */
function manyOrigins(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `https://tenant-${i}-${'x'.repeat(80)}.calls.example.com/*`);
}

describe('createSettingsStore', () => {
  let faulty: FaultyStorage;
  const store = (options: SettingsStoreOptions = {}) =>
    createSettingsStore({ storage: faulty.storage, debounceMs: 0, breaker: fastBreaker, ...options });

  beforeEach(() => {
    fakeBrowser.reset();
    faulty = createFaultyStorage();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('load and save', () => {
    it('starts a new install on the defaults, in sync, with nothing to report', async () => {
      const settings = store();
      const loaded = await settings.load();

      expect(loaded).toEqual({ settings: defaultSettings(), invalidFields: [], lockedFields: [] });
      expect(settings.health()).toMatchObject({ tier: 'sync', breaker: 'closed', failures: 0 });
    });

    it('saves to storage.sync under one key, with its save time beside it', async () => {
      const next = withChanges((s) => {
        s.gateway.url = 'https://pg.example.com:9091';
        s.reliability.queueMaxSize = 77;
      });
      const result = await store().save(next);

      expect(result).toEqual({ ok: true, settings: next });
      const stored = await fakeBrowser.storage.sync.get(['settings', 'settingsSavedAt']);
      expect(stored.settings).toEqual(next);
      expect(stored.settingsSavedAt).toEqual(expect.any(Number));
      expect(await store().load()).toMatchObject({ settings: next, invalidFields: [] });
    });

    it('rejects invalid settings with a dotted path per issue and stores nothing', async () => {
      const settings = store();
      const result = await settings.save({
        gateway: { url: 'ftp://files.example.com' },
        intervalMs: 10,
        reliability: { queueMaxSize: 0 },
      });

      expect(result.ok).toBe(false);
      const issues = result.ok ? [] : result.issues;
      expect(issues.map((issue) => issue.path).sort()).toEqual(['gateway.url', 'intervalMs', 'reliability.queueMaxSize']);
      expect(issues.every((issue) => issue.message.length > 0)).toBe(true);
      expect(await fakeBrowser.storage.sync.get(null)).toEqual({});
      expect(await fakeBrowser.storage.local.get(null)).toEqual({});
    });
  });

  describe('storage tiers', () => {
    it('moves settings to storage.local when sync is over quota, losing nothing', async () => {
      faulty.setFault('sync', 'quota');
      const settings = store();
      const next = withChanges((s) => {
        s.agentId = 'agent-7';
        s.customOrigins = ['https://calls.example.com/*'];
      });

      await settings.save(next);

      expect(settings.health()).toMatchObject({ tier: 'local', lastError: expect.stringContaining('QUOTA_BYTES') });
      expect((await fakeBrowser.storage.local.get('settings')).settings).toEqual(next);
      expect((await store().load()).settings).toEqual(next);
    });

    it('keeps settings larger than sync allows per item in storage.local without trying sync', async () => {
      const settings = store();
      const next = withChanges((s) => {
        s.customOrigins = manyOrigins(100);
      });
      expect(JSON.stringify(next).length).toBeGreaterThan(8_192);

      await settings.save(next);

      expect(faulty.calls['sync.set']).toBeUndefined();
      expect(settings.health().tier).toBe('local');
      const reloaded = store();
      expect((await reloaded.load()).settings).toEqual(next);
      expect(reloaded.health().tier).toBe('local');
    });

    it('returns to sync once the settings fit again, and drops the local copy', async () => {
      const settings = store();
      await settings.save(withChanges((s) => (s.customOrigins = manyOrigins(100))));
      const small = withChanges((s) => (s.customOrigins = manyOrigins(2)));

      await settings.save(small);

      expect(settings.health().tier).toBe('sync');
      expect(await fakeBrowser.storage.local.get('settings')).toEqual({});
      expect((await store().load()).settings).toEqual(small);
    });

    it('prefers the newer local copy over an older sync copy', async () => {
      const settings = store();
      await settings.save(withChanges((s) => (s.agentId = 'old-in-sync')));
      faulty.setFault('sync', 'down');
      await settings.save(withChanges((s) => (s.agentId = 'new-in-local')));
      faulty.setFault('sync', 'none');

      expect((await store().load()).settings.agentId).toBe('new-in-local');
    });

    it('keeps settings in memory when sync and local both fail, and persists them when storage returns', async () => {
      faulty.setFault('sync', 'down');
      faulty.setFault('local', 'down');
      const settings = store();
      const next = withChanges((s) => (s.agentId = 'memory-only'));

      const result = await settings.save(next);
      expect(result.ok).toBe(true);
      expect(settings.health().tier).toBe('memory');
      expect((await settings.load()).settings).toEqual(next);
      expect(settings.health().breaker).toBe('open');

      faulty.setFault('sync', 'none');
      faulty.setFault('local', 'none');
      // The open breaker lets a trial call through only after its half-open delay.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect((await settings.load()).settings).toEqual(next);
      expect(settings.health().tier).toBe('sync');
      expect((await fakeBrowser.storage.sync.get('settings')).settings).toEqual(next);
    });

    it('does not claim the defaults are stored when sync could not be read', async () => {
      await fakeBrowser.storage.sync.set({ settings: withChanges((s) => (s.agentId = 'stored')), settingsSavedAt: 1 });
      faulty.setFault('sync', 'down');
      const settings = store();

      const loaded = await settings.load();

      expect(loaded.settings).toEqual(defaultSettings());
      expect(settings.health()).toMatchObject({ tier: 'memory', lastError: expect.stringContaining('IO error') });
      faulty.setFault('sync', 'none');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect((await settings.load()).settings.agentId).toBe('stored');
      expect(settings.health().tier).toBe('sync');
    });

    it('loads defaults from memory, never throwing, when no area can be read', async () => {
      faulty.setFault('sync', 'invalidated');
      faulty.setFault('local', 'invalidated');
      faulty.setFault('managed', 'invalidated');
      const settings = store();

      await expect(settings.load()).resolves.toEqual({ settings: defaultSettings(), invalidFields: [], lockedFields: [] });
      expect(settings.health()).toMatchObject({ tier: 'memory', lastError: expect.stringContaining('invalidated') });
    });
  });

  describe('debounced writes', () => {
    it('writes saves made within the window once, and resolves each save only when persisted', async () => {
      vi.useFakeTimers();
      const settings = store({ debounceMs: 200 });
      await settings.load();
      let firstDone = false;
      const first = settings.save(withChanges((s) => (s.agentId = 'first'))).then((r) => {
        firstDone = true;
        return r;
      });
      await vi.advanceTimersByTimeAsync(50);
      const second = settings.save(withChanges((s) => (s.agentId = 'second')));
      await vi.advanceTimersByTimeAsync(100);
      expect(firstDone).toBe(false);
      expect(faulty.calls['sync.set']).toBeUndefined();

      await vi.advanceTimersByTimeAsync(200);
      await Promise.all([first, second]);

      // One write of the record and one of its save time: the adapter writes one key per call.
      expect(faulty.calls['sync.set']).toBe(2);
      expect(((await fakeBrowser.storage.sync.get('settings')).settings as Settings).agentId).toBe('second');
    });
  });

  describe('managed policy', () => {
    const policy = {
      // The unknown field sits in a section: the managed area is read by the settings' top-level
      // keys (Chrome drops top-level keys that are not in managed_schema.json before we see them).
      gateway: { url: 'https://pg.corp.example.com', gzip: true, unknownThing: 1 },
      reliability: { queueMaxSize: 50 },
      platforms: { meet: false },
      intervalMs: 'fast',
    };

    it('overrides user settings field by field and reports the locked fields', async () => {
      await fakeBrowser.storage.managed.set(policy);
      const settings = store();
      await settings.save(withChanges((s) => (s.agentId = 'user-choice')));

      const loaded = await settings.load();

      expect(loaded.settings.gateway).toMatchObject({ url: 'https://pg.corp.example.com', gzip: true });
      expect(loaded.settings.reliability.queueMaxSize).toBe(50);
      expect(loaded.settings.platforms.meet).toBe(false);
      expect(loaded.settings.agentId).toBe('user-choice');
      expect(loaded.settings.intervalMs).toBe(defaultSettings().intervalMs);
      expect(loaded.lockedFields.sort()).toEqual(
        ['gateway.gzip', 'gateway.url', 'platforms.meet', 'reliability.queueMaxSize'].sort(),
      );
      expect(settings.policyIssues().map((issue) => issue.path).sort()).toEqual(['gateway.unknownThing', 'intervalMs']);
    });

    it('does not let save() override a locked field, and keeps the user value for when the policy goes', async () => {
      const settings = store();
      await settings.save(withChanges((s) => (s.gateway.url = 'https://mine.example.com')));
      await fakeBrowser.storage.managed.set(policy);
      await settings.load();

      const result = await settings.save(
        withChanges((s) => {
          s.gateway.url = 'https://attacker.example.com';
          s.agentId = 'free-field';
        }),
      );

      expect(result.ok && result.settings.gateway.url).toBe('https://pg.corp.example.com');
      expect(result.ok && result.settings.agentId).toBe('free-field');
      const stored = (await fakeBrowser.storage.sync.get('settings')).settings as Settings;
      expect(stored.gateway.url).toBe('https://mine.example.com');

      await fakeBrowser.storage.managed.remove(Object.keys(policy));
      expect((await settings.load()).settings.gateway.url).toBe('https://mine.example.com');
    });

    it('loads normally when storage.managed is unavailable', async () => {
      faulty.setFault('managed', 'down');
      const loaded = await store().load();
      expect(loaded.lockedFields).toEqual([]);
      expect(loaded.settings).toEqual(defaultSettings());
    });

    it('does not wait forever for a managed area that never answers', async () => {
      vi.useFakeTimers();
      faulty.setFault('managed', 'hang');
      const loading = store({ managedTimeoutMs: 2_000 }).load();
      await vi.advanceTimersByTimeAsync(2_000);
      await expect(loading).resolves.toMatchObject({ lockedFields: [] });
    });
  });

  describe('watch', () => {
    it('calls back with the new settings when another context changes them', async () => {
      const settings = store();
      const seen: LoadedSettings[] = [];
      const stop = settings.watch((loaded) => seen.push(loaded));
      const elsewhere = withChanges((s) => (s.agentId = 'from-options-page'));

      await fakeBrowser.storage.sync.set({ settings: elsewhere, settingsSavedAt: Date.now() });
      await vi.waitFor(() => expect(seen.at(-1)?.settings.agentId).toBe('from-options-page'));

      await fakeBrowser.storage.managed.set({ agentId: 'from-policy' });
      await vi.waitFor(() => expect(seen.at(-1)?.lockedFields).toEqual(['agentId']));

      stop();
      const count = seen.length;
      await fakeBrowser.storage.sync.set({ settings: defaultSettings(), settingsSavedAt: Date.now() + 10 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen.length).toBe(count);
    });

    it('ignores changes to keys that are not settings', async () => {
      const settings = store();
      const callback = vi.fn();
      settings.watch(callback);
      await fakeBrowser.storage.local.set({ outbox: [1] });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(callback).not.toHaveBeenCalled();
    });
  });

  it('always returns settings that pass the schema', async () => {
    await fakeBrowser.storage.sync.set({ settings: { intervalMs: -1, gateway: 'x', statsTypes: ['bogus'] } });
    const loaded = await store().load();
    expect(settingsSchema.safeParse(loaded.settings).success).toBe(true);
  });
});
