import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { renderAdminDoc } from '@/utils/settings/admin-doc';
import { applyManagedPolicy } from '@/utils/settings/managed-policy';
import {
  EXAMPLE_POLICY,
  chromeIntuneScript,
  chromeJamfPlist,
  chromePolicyJson,
  chromeRegFile,
  firefoxPoliciesJson,
} from '@/utils/settings/policy-examples';
import { defaultSettings } from '@/utils/settings/settings-schema';
import { GECKO_ID } from '@/utils/build/store-identity';

describe('policy examples', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('apply in full with no ignored field, and lock every field they set', () => {
    const result = applyManagedPolicy(defaultSettings(), EXAMPLE_POLICY);
    expect(result.issues).toEqual([]);
    expect(result.lockedFields).toContain('gateway.url');
    expect(result.lockedFields).toContain('customOrigins');
    expect(result.settings.gateway.url).toBe(EXAMPLE_POLICY.gateway.url);
  });

  it('carry the same policy in the Chrome and Firefox JSON files, under the right extension ids', () => {
    const chrome = JSON.parse(chromePolicyJson('abcdefghijklmnopabcdefghijklmnop')) as Record<string, Record<string, Record<string, unknown>>>;
    expect(chrome['3rdparty']?.extensions?.abcdefghijklmnopabcdefghijklmnop).toEqual(EXAMPLE_POLICY);
    const firefox = JSON.parse(firefoxPoliciesJson()) as { policies: Record<string, Record<string, Record<string, unknown>>> };
    expect(firefox.policies['3rdparty']?.Extensions?.[GECKO_ID]).toEqual(EXAMPLE_POLICY);
    expect(firefox.policies.ExtensionSettings?.[GECKO_ID]).toMatchObject({ installation_mode: 'force_installed' });
  });

  it.each([
    ['the .reg file', chromeRegFile(), ['"url"="https://pushgateway.example.com"', '"intervalMs"=dword:000007d0', '"gzip"=dword:00000001']],
    ['the Intune script', chromeIntuneScript(), ["-Name 'intervalMs' -Type DWord -Value 2000", "-Name 'customOrigins' -Type String -Value '[\"https://calls.example.com/*\"]'"]],
    ['the Jamf plist', chromeJamfPlist(), ['<key>intervalMs</key>', '<integer>2000</integer>', '<true/>']],
  ])('write every value into %s', (_name, text, expected) => {
    for (const line of expected) expect(text).toContain(line);
  });

  it('are what docs/admin.md shows (run node scripts/admin-docs.mjs after changing settings)', () => {
    expect(readFileSync('docs/admin.md', 'utf8')).toBe(renderAdminDoc());
  });
});
