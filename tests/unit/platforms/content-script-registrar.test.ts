import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { BUILTIN_MATCHES } from '@/utils/platforms/builtin-platforms';
import { decideCapture } from '@/utils/platforms/capture-scope';
import { createContentScriptRegistrar, registrationPattern } from '@/utils/platforms/content-script-registrar';
import { defaultSettings, type Settings } from '@/utils/settings/settings-schema';

interface Registered {
  id: string;
  matches?: string[];
  excludeMatches?: string[];
  allFrames?: boolean;
  matchOriginAsFallback?: boolean;
  world?: string;
}

/** A scripting API that keeps registrations, and host permissions granted for the given patterns. */
function fakeDeps(granted: readonly string[]) {
  let registered: Registered[] = [];
  return {
    scripting: {
      getRegisteredContentScripts: async () => registered,
      registerContentScripts: async (scripts: Registered[]) => {
        registered = [...registered, ...scripts];
      },
      unregisterContentScripts: async ({ ids }: { ids?: string[] }) => {
        registered = registered.filter((script) => !ids?.includes(script.id));
      },
    },
    permissions: { contains: async ({ origins }: { origins?: string[] }) => (origins ?? []).every((o) => granted.includes(o)) },
    registered: () => registered,
  };
}

/** The browser's scripting types are callback/promise overloads; the fake implements the promise form only. */
function asRegistrarDeps(deps: ReturnType<typeof fakeDeps>): Parameters<typeof createContentScriptRegistrar>[0] {
  return deps as unknown as Parameters<typeof createContentScriptRegistrar>[0];
}

function settingsWith(patch: Partial<Settings>): Settings {
  return { ...defaultSettings(), ...patch };
}

describe('registrationPattern', () => {
  it.each([
    ['https://teams.microsoft.com/*', 'https://teams.microsoft.com/*'],
    ['https://*.awsapps.com/connect/*', 'https://*.awsapps.com/*'],
    ['https://calls.example.com/app/room/*', 'https://calls.example.com/*'],
    ['http://127.0.0.1/*', 'http://127.0.0.1/*'],
  ])('registers %s on %s', (pattern, expected) => {
    expect(registrationPattern(pattern)).toBe(expected);
  });
});

describe('createContentScriptRegistrar', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('registers the hook and the relay in every frame, about:blank ones included, for every built-in pattern', async () => {
    const deps = fakeDeps(BUILTIN_MATCHES);
    const registrar = createContentScriptRegistrar(asRegistrarDeps(deps));
    await registrar.sync(defaultSettings());
    const scripts = deps.registered();
    expect(scripts.map((script) => script.id).sort()).toEqual(['webrtc-exporter-hook', 'webrtc-exporter-relay']);
    for (const script of scripts) {
      expect(script).toMatchObject({ allFrames: true, matchOriginAsFallback: true });
      // Every built-in pattern (Connect's /connect/* too) is covered, and every registered pattern has the path /*.
      for (const pattern of BUILTIN_MATCHES) expect(script.matches).toContain(registrationPattern(pattern));
      for (const pattern of script.matches ?? []) expect(pattern).toMatch(/^[^:]+:\/\/[^/]+\/\*$/);
    }
    expect(scripts.find((script) => script.id === 'webrtc-exporter-hook')?.world).toBe('MAIN');
  });

  it('still captures only Connect pages under /connect/ on the widened awsapps.com registration', () => {
    const settings = defaultSettings();
    expect(decideCapture('https://acme.awsapps.com/connect/ccp-v2/', settings)).toMatchObject({ platform: 'connect', enabled: true });
    expect(decideCapture('https://acme.awsapps.com/start/', settings)).toMatchObject({ platform: null, enabled: false });
  });

  it('registers a custom origin only once its host permission is granted, and says which ones lack it', async () => {
    const deps = fakeDeps([...BUILTIN_MATCHES, 'https://calls.example.com/*']);
    const registrar = createContentScriptRegistrar(asRegistrarDeps(deps));
    const result = await registrar.sync(
      settingsWith({ customOrigins: ['https://calls.example.com/*', 'https://other.example.net/*'] }),
    );
    expect(result.missingPermission).toEqual(['https://other.example.net/*']);
    expect(deps.registered()[0]?.matches).toContain('https://calls.example.com/*');
    expect(deps.registered()[0]?.matches).not.toContain('https://other.example.net/*');
  });

  it('removes every registration when nothing is enabled', async () => {
    const deps = fakeDeps(BUILTIN_MATCHES);
    const registrar = createContentScriptRegistrar(asRegistrarDeps(deps));
    await registrar.sync(defaultSettings());
    const off = defaultSettings();
    for (const id of Object.keys(off.platforms) as (keyof Settings['platforms'])[]) off.platforms[id] = false;
    await registrar.sync(off);
    expect(deps.registered()).toEqual([]);
  });
});
