import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildManagedSchema, managedDescriptionPaths } from '../../../utils/settings/managed-policy';
import { defaultSettings } from '../../../utils/settings/settings-schema';

function schemaPaths(node: Record<string, unknown>, prefix = ''): string[] {
  const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(properties).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return [path, ...(child.type === 'object' ? schemaPaths(child, path) : [])];
  });
}

function settingsPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return [path, ...settingsPaths(child, path)];
  });
}

describe('public/managed_schema.json', () => {
  const file = JSON.parse(readFileSync('public/managed_schema.json', 'utf8')) as Record<string, unknown>;

  it('is the schema generated from the settings schema', () => {
    expect(file).toEqual(buildManagedSchema());
  });

  it('describes every settings field but the version, and nothing else', () => {
    const expected = settingsPaths(defaultSettings()).filter((path) => path !== 'version');
    expect(schemaPaths(file).sort()).toEqual(expected.sort());
    expect(managedDescriptionPaths().sort()).toEqual(expected.sort());
  });

  it('uses only keywords Chrome accepts in a managed storage schema', () => {
    const allowed = new Set(['type', 'properties', 'additionalProperties', 'items', 'enum', 'minimum', 'maximum', 'description', 'title']);
    const keys = new Set<string>();
    const walk = (node: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(node)) {
        keys.add(key);
        if (key === 'properties') Object.values(value as Record<string, Record<string, unknown>>).forEach(walk);
        if (key === 'items') walk(value as Record<string, unknown>);
      }
    };
    walk(file);
    expect([...keys].filter((key) => !allowed.has(key))).toEqual([]);
  });

  it('puts minimum and maximum on integers only, since Chrome refuses the schema (and the extension) otherwise', () => {
    const misplaced: string[] = [];
    const walk = (node: Record<string, unknown>, at: string) => {
      if (node.type !== 'integer' && ('minimum' in node || 'maximum' in node)) misplaced.push(at);
      for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(child, `${at}.${name}`);
      if (node.items) walk(node.items as Record<string, unknown>, `${at}[]`);
    };
    walk(file, 'settings');
    expect(misplaced).toEqual([]);
  });
});
