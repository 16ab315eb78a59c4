import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { repairSettings } from '../../../utils/settings/settings-repair';
import { createSettingsStore } from '../../../utils/settings/settings-store';
import { defaultSettings, settingsSchema, type Settings } from '../../../utils/settings/settings-schema';
import { createFaultyStorage } from '../storage/faulty-storage';

const defaults = defaultSettings();

describe('repairSettings', () => {
  it.each<[string, unknown, string[], (settings: Settings) => void]>([
    [
      'a field of the wrong type',
      { version: 1, intervalMs: 'fast', agentId: 'kept' },
      ['intervalMs'],
      (s) => {
        expect(s.intervalMs).toBe(defaults.intervalMs);
        expect(s.agentId).toBe('kept');
      },
    ],
    [
      'a nested field out of range',
      { version: 1, reliability: { queueMaxSize: -5, outboxMaxGroups: 42 } },
      ['reliability.queueMaxSize'],
      (s) => {
        expect(s.reliability.queueMaxSize).toBe(defaults.reliability.queueMaxSize);
        expect(s.reliability.outboxMaxGroups).toBe(42);
      },
    ],
    [
      'a truncated object (fields missing)',
      { version: 1, gateway: { url: 'https://pg.example.com' } },
      [],
      (s) => {
        expect(s.gateway).toEqual({ ...defaults.gateway, url: 'https://pg.example.com' });
      },
    ],
    [
      'an object where a group is expected to be',
      { version: 1, gateway: 'https://pg.example.com', platforms: null },
      ['gateway', 'platforms'],
      (s) => {
        expect(s.gateway).toEqual(defaults.gateway);
        expect(s.platforms).toEqual(defaults.platforms);
      },
    ],
    [
      'unknown elements in a list',
      { version: 1, statsTypes: ['inbound-rtp', 'bogus', 7, 'codec'], customOrigins: ['nonsense', 'https://ok.example.com'] },
      ['statsTypes.1', 'statsTypes.2', 'customOrigins.0'],
      (s) => {
        expect(s.statsTypes).toEqual(['inbound-rtp', 'codec']);
        expect(s.customOrigins).toEqual(['https://ok.example.com/*']);
      },
    ],
    [
      'a newer version (after a downgrade)',
      { version: 99, agentId: 'from-the-future', newFeature: { x: 1 }, intervalMs: 5_000 },
      ['version'],
      (s) => {
        expect(s.version).toBe(2);
        expect(s.agentId).toBe('from-the-future');
        expect(s.intervalMs).toBe(5_000);
      },
    ],
    ['a garbage string', '}{ not json', ['settings'], (s) => expect(s).toEqual(defaults)],
    ['a number', 42, ['settings'], (s) => expect(s).toEqual(defaults)],
    ['an array', [1, 2, 3], ['settings'], (s) => expect(s).toEqual(defaults)],
    [
      'a JSON string of settings',
      JSON.stringify({ version: 1, agentId: 'stringified' }),
      [],
      (s) => expect(s.agentId).toBe('stringified'),
    ],
    ['a garbage version', { version: 'one', agentId: 'a' }, ['version'], (s) => expect(s.agentId).toBe('a')],
    ['a version older than any migration', { version: 0, agentId: 'b' }, ['version'], (s) => expect(s.agentId).toBe('b')],
    ['nothing stored', undefined, [], (s) => expect(s).toEqual(defaults)],
    [
      'version 1 with legacy naming (migrated to the legacy profile)',
      { version: 1, namingMode: 'legacy', agentId: 'a' },
      [],
      (s) => {
        expect(s.exportProfile).toBe('legacy');
        expect(s).not.toHaveProperty('namingMode');
      },
    ],
    [
      'version 1 with conventional naming (migrated to the quality default)',
      { version: 1, namingMode: 'conventional' },
      [],
      (s) => expect(s.exportProfile).toBe('quality'),
    ],
    [
      'a push interval below the poll interval (only that field is reset)',
      { version: 2, intervalMs: 5_000, pushIntervalMs: 3_000, agentId: 'kept' },
      ['pushIntervalMs'],
      (s) => {
        expect(s.pushIntervalMs).toBe(defaults.pushIntervalMs);
        expect(s.intervalMs).toBe(5_000);
        expect(s.agentId).toBe('kept');
      },
    ],
    [
      'a stale timeout shorter than three polls',
      { version: 2, intervalMs: 10_000, pushIntervalMs: 20_000, reliability: { staleConnectionMs: 15_000, queueMaxSize: 7 } },
      ['reliability.staleConnectionMs'],
      (s) => {
        expect(s.reliability.staleConnectionMs).toBe(defaults.reliability.staleConnectionMs);
        expect(s.reliability.queueMaxSize).toBe(7);
      },
    ],
    [
      'a fair loss threshold above the poor one',
      { version: 2, quality: { lossFair: 0.03, lossPoor: 0.02, rttFairSeconds: 0.3 } },
      ['quality.lossPoor'],
      (s) => {
        expect(s.quality.lossPoor).toBe(defaults.quality.lossPoor);
        expect(s.quality.rttFairSeconds).toBe(0.3);
      },
    ],
  ])('repairs %s field by field and reports it', (_, stored, invalid, check) => {
    const result = repairSettings(stored);
    expect(result.invalidFields.sort()).toEqual([...invalid].sort());
    expect(settingsSchema.safeParse(result.settings).success).toBe(true);
    check(result.settings);
  });
});

describe('createSettingsStore with corrupted storage', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('reports repaired fields on load and leaves the stored record as it was', async () => {
    const corrupted = { version: 1, intervalMs: 'fast', reliability: { queueMaxSize: 'lots' }, agentId: 'kept' };
    await fakeBrowser.storage.sync.set({ settings: corrupted, settingsSavedAt: 1 });

    const loaded = await createSettingsStore({ storage: createFaultyStorage().storage }).load();

    expect(loaded.invalidFields.sort()).toEqual(['intervalMs', 'reliability.queueMaxSize']);
    expect(loaded.settings.agentId).toBe('kept');
    expect((await fakeBrowser.storage.sync.get('settings')).settings).toEqual(corrupted);
  });
});
