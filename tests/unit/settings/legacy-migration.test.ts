import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { migrateLegacySettings, platformOfOrigin } from '../../../utils/settings/legacy-migration';
import { repairSettings } from '../../../utils/settings/settings-repair';
import { createSettingsStore } from '../../../utils/settings/settings-store';
import { defaultSettings, type Settings } from '../../../utils/settings/settings-schema';
import { createFaultyStorage } from '../storage/faulty-storage';

const allOn = { teams: true, meet: true, connect: true, genesys: true };

function migrate(legacy: Record<string, unknown>) {
  return repairSettings(migrateLegacySettings(legacy));
}

describe('platformOfOrigin', () => {
  it.each([
    ['https://teams.microsoft.com', 'teams'],
    ['https://teams.live.com', 'teams'],
    ['https://meet.google.com', 'meet'],
    ['https://acme.my.connect.aws', 'connect'],
    ['https://acme.awsapps.com', 'connect'],
    ['https://apps.mypurecloud.de', 'genesys'],
    ['https://teams.microsoft.com.evil.example', undefined],
    ['http://meet.google.com', undefined],
    ['not an origin', undefined],
  ])('maps %s to %s', (origin, platform) => {
    expect(platformOfOrigin(origin)).toBe(platform);
  });
});

describe('migrateLegacySettings', () => {
  it.each<[string, Record<string, unknown>, Partial<Settings>, string[]]>([
    [
      'the older exporter defaults',
      {
        url: 'http://localhost:9091',
        username: '',
        password: '',
        updateInterval: 2,
        gzip: false,
        job: 'webrtc-internals-exporter',
        enabledOrigins: {},
        enabledStats: ['inbound-rtp', 'remote-inbound-rtp', 'outbound-rtp'],
      },
      {
        gateway: { url: 'http://localhost:9091', username: '', password: '', gzip: false, job: 'webrtc-internals-exporter' },
        intervalMs: 2_000,
        statsTypes: ['inbound-rtp', 'remote-inbound-rtp', 'outbound-rtp'],
        platforms: allOn,
        customOrigins: [],
      },
      [],
    ],
    [
      'credentials, gzip, agent id and a fractional interval',
      { url: 'https://pg.example.com', username: 'u', password: 'p', gzip: true, job: 'calls', agentId: 'a-1', updateInterval: 0.5 },
      {
        gateway: { url: 'https://pg.example.com', username: 'u', password: 'p', gzip: true, job: 'calls' },
        agentId: 'a-1',
        intervalMs: 500,
      },
      [],
    ],
    ['an interval given as a string', { updateInterval: '5' }, { intervalMs: 5_000 }, []],
    [
      'enabled origins as an object: platforms and custom origins',
      {
        enabledOrigins: {
          'https://teams.microsoft.com': true,
          'https://meet.google.com': false,
          'https://calls.example.com': true,
          'https://off.example.com': false,
        },
      },
      { platforms: { ...allOn, meet: false }, customOrigins: ['https://calls.example.com/*'] },
      [],
    ],
    [
      'enabled origins as an array: listed platforms on, the others off',
      { enabledOrigins: ['https://meet.google.com', 'https://calls.example.com'] },
      { platforms: { teams: false, meet: true, connect: false, genesys: false }, customOrigins: ['https://calls.example.com/*'] },
      [],
    ],
    [
      'unknown stats types and invalid values',
      { enabledStats: ['inbound-rtp', 'track'], updateInterval: 0.01, url: 'not a url', enabledOrigins: ['garbage'] },
      { statsTypes: ['inbound-rtp'], intervalMs: defaultSettings().intervalMs, gateway: defaultSettings().gateway, customOrigins: [] },
      ['statsTypes.1', 'intervalMs', 'gateway.url', 'customOrigins.0'],
    ],
  ])('maps %s', (_, legacy, expected, invalid) => {
    const result = migrate(legacy);
    expect(result.settings).toMatchObject(expected);
    expect(result.invalidFields.sort()).toEqual([...invalid].sort());
  });
});

describe('createSettingsStore legacy migration', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('migrates the older layout once, into the new record, and leaves the old keys in place', async () => {
    const legacy = { url: 'https://pg.example.com', updateInterval: 3, enabledOrigins: { 'https://meet.google.com': true } };
    await fakeBrowser.storage.sync.set(legacy);
    const faulty = createFaultyStorage();

    const loaded = await createSettingsStore({ storage: faulty.storage, debounceMs: 0 }).load();

    expect(loaded.settings).toMatchObject({ gateway: { url: 'https://pg.example.com' }, intervalMs: 3_000 });
    const stored = await fakeBrowser.storage.sync.get(null);
    expect(stored).toMatchObject(legacy);
    expect(stored.settings).toEqual(loaded.settings);

    // A later change of the old keys (the older extension still installed) is not migrated again.
    await fakeBrowser.storage.sync.set({ updateInterval: 9 });
    const again = await createSettingsStore({ storage: faulty.storage }).load();
    expect(again.settings.intervalMs).toBe(3_000);
    // One save: the record, then its save time (the storage adapter writes one key per call).
    expect(faulty.calls['sync.set']).toBe(2);
  });
});
