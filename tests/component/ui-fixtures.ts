import { vi } from 'vitest';
import type { Health } from '@/utils/messaging/health';
import type { TabStatus } from '@/utils/messaging/ui-types';
import { defaultSettings, settingsSchema, type Settings } from '@/utils/settings/settings-schema';
import type { LoadedSettings, SettingsStore } from '@/utils/settings/settings-store-types';
import type { UiBackend } from '@/utils/ui/ui-backend';

/** A background that is running and pushing without trouble. */
export function healthyHealth(): Health {
  return {
    status: 'running',
    degradedReasons: [],
    startedAt: 0,
    connections: { total: 0, tabs: 0 },
    delivery: {
      configured: true,
      breaker: 'closed',
      breakerSince: 0,
      outboxGroups: 0,
      outboxBytes: 0,
      pendingDeletes: 0,
      pushesOk: 1,
      pushesFailed: 0,
      deletesOk: 0,
      lastAttemptAt: 1_000,
      lastSuccessAt: 1_000,
      lastError: null,
      rejectedGroups: 0,
    },
    storage: { tier: 'sync', breaker: 'closed', failures: 0, lastError: null },
    integrity: { lastRunAt: null, repaired: {}, invalidSettingsFields: [] },
    drops: {},
    reportsAccepted: 0,
  };
}


/**
 * An in-memory settings store that validates like the real one (settings schema) and calls
 * its watchers after a save.
 */
export function createFakeStore(initial: Partial<LoadedSettings> = {}) {
  let loaded: LoadedSettings = { settings: defaultSettings(), invalidFields: [], lockedFields: [], ...initial };
  const listeners = new Set<(l: LoadedSettings) => void>();
  const copy = () => JSON.parse(JSON.stringify(loaded)) as LoadedSettings;
  const store = {
    load: vi.fn(async () => copy()),
    save: vi.fn(async (next: unknown) => {
      const result = settingsSchema.safeParse(next);
      if (!result.success) {
        return {
          ok: false as const,
          issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        };
      }
      loaded = { ...loaded, settings: result.data };
      for (const listener of listeners) listener(copy());
      return { ok: true as const, settings: result.data };
    }),
    watch: vi.fn((callback: (l: LoadedSettings) => void) => {
      listeners.add(callback);
      return () => listeners.delete(callback);
    }),
    health: () => ({ tier: 'sync' as const, breaker: 'closed' as const, failures: 0, lastError: null }),
    /** A change made elsewhere (another page, the popup, policy). */
    emit(settings: Settings) {
      loaded = { ...loaded, settings };
      for (const listener of listeners) listener(copy());
    },
    current: () => loaded.settings,
  } satisfies SettingsStore & Record<string, unknown>;
  return store;
}

export type FakeStore = ReturnType<typeof createFakeStore>;

/** A backend with a fake store, a healthy background and every permission granted. */
export function createFakeBackend(store: FakeStore = createFakeStore(), overrides: Partial<UiBackend> = {}) {
  const backend = {
    settingsStore: () => store,
    getHealth: vi.fn<UiBackend['getHealth']>(async () => ({ ok: true, value: healthyHealth() })),
    getTabStatus: vi.fn<UiBackend['getTabStatus']>(async () => ({ ok: false, error: 'no tab' })),
    testConnection: vi.fn<UiBackend['testConnection']>(async () => ({
      ok: true,
      value: { ok: true, message: 'Pushgateway answered 200 OK', kind: 'ok', status: 200, elapsedMs: 12 },
    })),
    testRemoteWrite: vi.fn<UiBackend['testRemoteWrite']>(async () => ({
      ok: true,
      value: { ok: true, message: 'Connected to 127.0.0.1:9090: the receiver accepted a test sample (HTTP 204).', kind: 'ok', status: 204, elapsedMs: 9 },
    })),
    setOriginCapture: vi.fn<UiBackend['setOriginCapture']>(async () => ({ ok: true, value: undefined })),
    requestOrigins: vi.fn<UiBackend['requestOrigins']>(async () => true),
    releaseOrigins: vi.fn<UiBackend['releaseOrigins']>(async () => true),
    activeTabId: vi.fn<UiBackend['activeTabId']>(async () => 7),
    openOptionsPage: vi.fn<UiBackend['openOptionsPage']>(async () => undefined),
    ...overrides,
  };
  return backend;
}

/** A tab on Teams with one connected call and a few chart points. */
export function teamsTabStatus(): TabStatus {
  return {
    tabId: 7,
    origin: 'https://teams.microsoft.com',
    platform: 'teams',
    capture: 'on',
    connections: [
      {
        groupId: 'g-1',
        state: 'connected',
        origin: 'https://teams.microsoft.com',
        startedAt: Date.now() - 65_000,
        lastReportAt: Date.now(),
        points: [
          { at: 1, bitrateInBps: 800_000, bitrateOutBps: 300_000, lossPercent: 0, rttSeconds: 0.04, jitterSeconds: 0.003 },
          { at: 2, bitrateInBps: 1_000_000, bitrateOutBps: 350_000, lossPercent: 0.5, rttSeconds: 0.05, jitterSeconds: 0.004 },
          { at: 3, bitrateInBps: 1_200_000, bitrateOutBps: 400_000, lossPercent: 1.5, rttSeconds: 0.042, jitterSeconds: 0.0051 },
        ],
      },
    ],
  };
}
