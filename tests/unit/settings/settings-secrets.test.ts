import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createSettingsStore } from '../../../utils/settings/settings-store';
import { defaultSettings, type Settings } from '../../../utils/settings/settings-schema';
import { createFaultyStorage, type FaultyStorage } from '../storage/faulty-storage';

const fastBreaker = { maxAttempts: 1, retryInitialDelayMs: 1, retryMaxDelayMs: 2, operationTimeoutMs: 1_000 };
const PASSWORD = 'hunter2-s3cret';

function withPassword(password: string): Settings {
  const settings = defaultSettings();
  settings.gateway.url = 'https://pg.example.com';
  settings.gateway.username = 'agent';
  settings.gateway.password = password;
  return settings;
}

describe('settings secrets', () => {
  let faulty: FaultyStorage;
  /** Every value ever written to storage.sync, as JSON. */
  let syncWrites: string[];
  const store = () => createSettingsStore({ storage: faulty.storage, debounceMs: 0, breaker: fastBreaker });

  beforeEach(() => {
    fakeBrowser.reset();
    faulty = createFaultyStorage();
    syncWrites = [];
    fakeBrowser.storage.sync.onChanged.addListener((changes) => syncWrites.push(JSON.stringify(changes)));
  });

  it('a save never writes the password to sync, and the password comes back on load', async () => {
    await store().save(withPassword(PASSWORD));

    expect(syncWrites.length).toBeGreaterThan(0);
    expect(syncWrites.join('\n')).not.toContain(PASSWORD);
    expect(JSON.stringify(await fakeBrowser.storage.sync.get(null))).not.toContain(PASSWORD);
    expect(await fakeBrowser.storage.local.get('settingsSecrets')).toEqual({
      settingsSecrets: { gatewayPassword: PASSWORD },
    });
    expect((await store().load()).settings.gateway.password).toBe(PASSWORD);
  });

  it('keeps the remote-write password and token out of sync too, and brings them back on load', async () => {
    const settings = defaultSettings();
    settings.remoteWrite = { ...settings.remoteWrite, url: 'https://rw.example.com/api/v1/write', password: 'rw-pass-77', bearerToken: 'rw-token-88' };

    await store().save(settings);

    expect(syncWrites.join('\n')).not.toMatch(/rw-pass-77|rw-token-88/);
    expect(await fakeBrowser.storage.local.get('settingsSecrets')).toEqual({
      settingsSecrets: { gatewayPassword: '', remoteWritePassword: 'rw-pass-77', remoteWriteBearerToken: 'rw-token-88' },
    });
    expect((await store().load()).settings.remoteWrite).toMatchObject({ password: 'rw-pass-77', bearerToken: 'rw-token-88' });
  });

  it('keeps the record in sync complete, with the password blank', async () => {
    await store().save(withPassword(PASSWORD));

    const record = (await fakeBrowser.storage.sync.get('settings')).settings as Settings;
    expect(record).toEqual(withPassword(''));
  });

  it('keeps the password in memory, never in sync, while storage.local is down', async () => {
    faulty.setFault('local', 'down');
    const settings = store();

    await settings.save(withPassword(PASSWORD));

    expect(syncWrites.join('\n')).not.toContain(PASSWORD);
    // Held in memory for this run, and said in health, rather than synced.
    expect((await settings.load()).settings.gateway.password).toBe(PASSWORD);
    expect(settings.health().lastError).toContain('local');
  });

  it('clearing the password clears it in storage.local', async () => {
    await store().save(withPassword(PASSWORD));
    await store().save(withPassword(''));

    expect((await store().load()).settings.gateway.password).toBe('');
    expect(JSON.stringify(await fakeBrowser.storage.local.get(null))).not.toContain(PASSWORD);
  });

  it('moves a password that an earlier version saved in the sync record to storage.local', async () => {
    await fakeBrowser.storage.sync.set({ settings: withPassword(PASSWORD), settingsSavedAt: 1_000 });

    const loaded = await store().load();

    expect(loaded.settings.gateway.password).toBe(PASSWORD);
    expect(JSON.stringify(await fakeBrowser.storage.sync.get(null))).not.toContain(PASSWORD);
    expect(((await fakeBrowser.storage.sync.get('settings')).settings as Settings).gateway.url).toBe('https://pg.example.com');
    expect(await fakeBrowser.storage.local.get('settingsSecrets')).toEqual({ settingsSecrets: { gatewayPassword: PASSWORD } });
    expect((await store().load()).settings).toEqual(withPassword(PASSWORD));
  });

  it('leaves the synced password in place when storage.local cannot take it yet', async () => {
    await fakeBrowser.storage.sync.set({ settings: withPassword(PASSWORD), settingsSavedAt: 1_000 });
    faulty.setFault('local', 'down');

    const loaded = await store().load();

    expect(loaded.settings.gateway.password).toBe(PASSWORD);
    // Blanking it in sync now would lose it at the next start: it moves once local answers.
    expect(((await fakeBrowser.storage.sync.get('settings')).settings as Settings).gateway.password).toBe(PASSWORD);
    faulty.setFault('local', 'none');
    await store().load();
    expect(JSON.stringify(await fakeBrowser.storage.sync.get(null))).not.toContain(PASSWORD);
  });

  it("moves the older exporters' flat password key out of sync when migrating their settings", async () => {
    await fakeBrowser.storage.sync.set({ url: 'https://pg.example.com', username: 'agent', password: PASSWORD, job: 'calls' });

    const loaded = await store().load();

    expect(loaded.settings.gateway).toMatchObject({ url: 'https://pg.example.com', username: 'agent', password: PASSWORD, job: 'calls' });
    const synced = await fakeBrowser.storage.sync.get(null);
    expect(synced).not.toHaveProperty('password');
    // The other old keys stay for a user who rolls back.
    expect(synced).toMatchObject({ url: 'https://pg.example.com', username: 'agent', job: 'calls' });
    expect((await store().load()).settings.gateway.password).toBe(PASSWORD);
  });

  it('does not overwrite a stored password it could not read', async () => {
    await store().save(withPassword(PASSWORD));
    faulty.setFault('local', 'down');
    const settings = store();
    await settings.load();
    faulty.setFault('local', 'none');

    // A save of other fields, while the password read back as blank, must not clear it.
    await settings.save({ ...withPassword(''), agentId: 'agent-9' });

    expect(await fakeBrowser.storage.local.get('settingsSecrets')).toEqual({ settingsSecrets: { gatewayPassword: PASSWORD } });
  });

  it('reports an unreadable stored password as an invalid field and loads the rest', async () => {
    await store().save(withPassword(PASSWORD));
    await fakeBrowser.storage.local.set({ settingsSecrets: { gatewayPassword: 42 } });

    const loaded = await store().load();

    expect(loaded.invalidFields).toEqual(['gateway.password']);
    expect(loaded.settings.gateway).toMatchObject({ url: 'https://pg.example.com', password: '' });
  });

  it('tells watchers when another context changes the password', async () => {
    const settings = store();
    await settings.load();
    const seen: string[] = [];
    settings.watch((loaded) => seen.push(loaded.settings.gateway.password));

    await fakeBrowser.storage.local.set({ settingsSecrets: { gatewayPassword: 'from-options' } });

    await expect.poll(() => seen.at(-1)).toBe('from-options');
  });
});
