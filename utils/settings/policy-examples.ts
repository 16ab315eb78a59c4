import { settingsSchema, type SettingsInput } from './settings-schema';
import { GECKO_ID } from '../build/store-identity';

/**
 * Fleet policy examples for docs/admin.md, generated from one policy object so that every format
 * (Chrome JSON, Windows registry for GPO, a PowerShell script for Intune, a macOS profile for
 * Jamf, Firefox policies.json) says the same thing. The object is checked against the settings
 * schema by a unit test: an example that the extension would refuse cannot be published.
 */

/** Stands in for the Chrome Web Store id until the listing exists (the store assigns it). */
export const CHROME_ID_PLACEHOLDER = 'CHROME_EXTENSION_ID';
/** Chrome Web Store update URL, for force-installed extensions. */
export const CHROME_UPDATE_URL = 'https://clients2.google.com/service/update2/crx';
/** AMO's download URL of the latest signed version. */
export const FIREFOX_INSTALL_URL = 'https://addons.mozilla.org/firefox/downloads/latest/webrtc-stats-exporter/latest.xpi';

/** The settings a typical fleet fixes: where to push, as whom, how often, what the page label shows. */
export const EXAMPLE_POLICY = {
  gateway: {
    url: 'https://pushgateway.example.com',
    job: 'webrtc',
    username: 'exporter',
    password: 'change-me',
    gzip: true,
  },
  intervalMs: 2000,
  platforms: { teams: true, meet: false, connect: true, genesys: true },
  customOrigins: ['https://calls.example.com/*'],
  urlLabelMode: 'origin',
} satisfies SettingsInput;

/** The example with the schema's own validation applied (throws when the example is invalid). */
export function validatedExample(): typeof EXAMPLE_POLICY {
  settingsSchema.parse(EXAMPLE_POLICY);
  return EXAMPLE_POLICY;
}

/** Linux (and ChromeOS-style JSON) policy file for Chrome/Chromium: settings plus force-install. */
export function chromePolicyJson(id = CHROME_ID_PLACEHOLDER): string {
  return JSON.stringify(
    {
      ExtensionSettings: { [id]: { installation_mode: 'force_installed', update_url: CHROME_UPDATE_URL } },
      '3rdparty': { extensions: { [id]: validatedExample() } },
    },
    null,
    2,
  );
}

/** Firefox `policies.json` (distribution directory): settings plus force-install from AMO. */
export function firefoxPoliciesJson(id = GECKO_ID): string {
  return JSON.stringify(
    {
      policies: {
        ExtensionSettings: { [id]: { installation_mode: 'force_installed', install_url: FIREFOX_INSTALL_URL } },
        '3rdparty': { Extensions: { [id]: validatedExample() } },
      },
    },
    null,
    2,
  );
}

type RegValue = { name: string; type: 'REG_SZ' | 'REG_DWORD'; data: string | number };

/**
 * Registry values of an object under `key`: objects become subkeys, arrays a JSON string (Chrome
 * parses a string where its schema expects a list), booleans and integers DWORDs, strings SZ.
 */
function registryEntries(key: string, value: Record<string, unknown>): { key: string; values: RegValue[] }[] {
  const values: RegValue[] = [];
  const children: { key: string; values: RegValue[] }[] = [];
  for (const [name, item] of Object.entries(value)) {
    if (Array.isArray(item)) values.push({ name, type: 'REG_SZ', data: JSON.stringify(item) });
    else if (typeof item === 'object' && item !== null) children.push(...registryEntries(`${key}\\${name}`, item as Record<string, unknown>));
    else if (typeof item === 'boolean') values.push({ name, type: 'REG_DWORD', data: item ? 1 : 0 });
    else if (typeof item === 'number') values.push({ name, type: 'REG_DWORD', data: item });
    else values.push({ name, type: 'REG_SZ', data: String(item) });
  }
  return [{ key, values }, ...children];
}

function chromeRegistry(id: string) {
  const root = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome';
  return [
    { key: `${root}\\ExtensionInstallForcelist`, values: [{ name: '1', type: 'REG_SZ' as const, data: `${id};${CHROME_UPDATE_URL}` }] },
    ...registryEntries(`${root}\\3rdparty\\extensions\\${id}\\policy`, validatedExample()),
  ];
}

/** A `.reg` file for Group Policy (Preferences → Registry, or import with `reg import`). */
export function chromeRegFile(id = CHROME_ID_PLACEHOLDER): string {
  const lines = ['Windows Registry Editor Version 5.00', ''];
  for (const entry of chromeRegistry(id)) {
    lines.push(`[${entry.key}]`);
    for (const value of entry.values) {
      const data =
        value.type === 'REG_DWORD'
          ? `dword:${Number(value.data).toString(16).padStart(8, '0')}`
          : JSON.stringify(String(value.data));
      lines.push(`${JSON.stringify(value.name)}=${data}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A PowerShell script for Intune (Devices → Scripts) that writes the same registry values. */
export function chromeIntuneScript(id = CHROME_ID_PLACEHOLDER): string {
  const lines = ['# Run as SYSTEM (Intune platform script, 64-bit PowerShell).'];
  for (const entry of chromeRegistry(id)) {
    const path = entry.key.replace('HKEY_LOCAL_MACHINE', 'HKLM:');
    lines.push(`New-Item -Path '${path}' -Force | Out-Null`);
    for (const value of entry.values) {
      const type = value.type === 'REG_DWORD' ? 'DWord' : 'String';
      const data = value.type === 'REG_DWORD' ? String(value.data) : `'${String(value.data).replaceAll("'", "''")}'`;
      lines.push(`Set-ItemProperty -Path '${path}' -Name '${value.name}' -Type ${type} -Value ${data}`);
    }
  }
  return lines.join('\n');
}

function plistValue(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    return [`${indent}<array>`, ...value.flatMap((item) => plistValue(item, `${indent}  `)), `${indent}</array>`];
  }
  if (typeof value === 'object' && value !== null) {
    return [
      `${indent}<dict>`,
      ...Object.entries(value).flatMap(([key, item]) => [`${indent}  <key>${xml(key)}</key>`, ...plistValue(item, `${indent}  `)]),
      `${indent}</dict>`,
    ];
  }
  if (typeof value === 'boolean') return [`${indent}<${value}/>`];
  if (typeof value === 'number') return [`${indent}<integer>${value}</integer>`];
  return [`${indent}<string>${xml(String(value))}</string>`];
}

function xml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * A macOS configuration profile payload for Jamf (Computers → Configuration Profiles → Application
 * & Custom Settings → Upload): Chrome reads an extension's policy from the preference domain
 * `com.google.Chrome.extensions.<id>`.
 */
export function chromeJamfPlist(id = CHROME_ID_PLACEHOLDER): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    ...plistValue(validatedExample(), ''),
    '</plist>',
    `<!-- preference domain: com.google.Chrome.extensions.${id} -->`,
  ].join('\n');
}
