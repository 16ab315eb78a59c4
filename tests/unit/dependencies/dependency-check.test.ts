import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDependencies,
  importedPackages,
  importsUnder,
  packageOf,
  sourceFiles,
  type DependencyCheckInput,
  type UseWithoutImport,
} from './dependency-check';

const ROOT = path.resolve(__dirname, '../../..');
/** What ships: its imports must be dependencies. */
const RUNTIME_DIRS = ['entrypoints', 'utils', 'components'];
/** Build-time code under utils/ (vite plugins that wxt.config.ts loads): it never ships. */
const BUILD_TIME_DIRS = ['utils/build'];
/** Tests, scripts and configs: their imports must be declared, as dependencies or devDependencies. */
const DEV_DIRS = ['tests', 'scripts', 'wxt.config.ts', 'vitest.config.ts', 'eslint.config.js', ...BUILD_TIME_DIRS];

/** Declared packages that no file imports, and where each is used instead (checked below). */
const USED_WITHOUT_IMPORT: Record<string, UseWithoutImport> = {
  '@wxt-dev/module-vue': { file: 'wxt.config.ts', contains: "'@wxt-dev/module-vue'" },
  '@types/node': { file: 'tsconfig.json', contains: '"node"' },
  '@vitest/coverage-v8': { peerOf: 'vitest' },
  eslint: { script: 'eslint .' },
  'vue-tsc': { script: 'vue-tsc --noEmit' },
  typescript: { peerOf: 'vue-tsc' },
  vite: { peerOf: 'vitest' },
  'happy-dom': { file: 'tests', contains: '@vitest-environment happy-dom' },
  'web-ext': { file: 'tests', contains: "'web-ext'" },
  '@types/snappyjs': { typesOf: 'snappyjs' },
};

interface PackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** Verifies a use-without-import claim against the repository. */
function verifyInRepository(pkg: PackageJson) {
  return (name: string, use: UseWithoutImport): string | null => {
    if ('script' in use) {
      return Object.values(pkg.scripts ?? {}).some((command) => command.includes(use.script))
        ? null
        : `no npm script runs "${use.script}"`;
    }
    if ('typesOf' in use) {
      return importsUnder(ROOT, [...RUNTIME_DIRS, ...DEV_DIRS]).has(use.typesOf) ? null : `nothing imports ${use.typesOf}`;
    }
    if ('peerOf' in use) {
      const declared = { ...pkg.dependencies, ...pkg.devDependencies };
      if (!(use.peerOf in declared)) return `${use.peerOf} is not declared`;
      const host = readJson(path.join(ROOT, 'node_modules', use.peerOf, 'package.json'));
      return host.peerDependencies?.[name] ? null : `${use.peerOf} has no peer dependency on it`;
    }
    const files = sourceFiles(ROOT, [use.file]).concat(use.file.endsWith('.json') ? [path.join(ROOT, use.file)] : []);
    return files.some((file) => readFileSync(file, 'utf8').includes(use.contains))
      ? null
      : `"${use.contains}" not found in ${use.file}`;
  };
}

describe('packageOf', () => {
  it.each([
    ['zod', 'zod'],
    ['wxt/browser', 'wxt'],
    ['wxt/testing/fake-browser', 'wxt'],
    ['@webext-core/messaging/page', '@webext-core/messaging'],
    ['@webext-core/match-patterns', '@webext-core/match-patterns'],
    ['./outbox', null],
    ['../../utils/x', null],
    ['@/utils/settings/settings-schema', null],
    ['~/assets/x', null],
    ['#imports', null],
    ['virtual:wxt-setup', null],
    ['node:fs', null],
    ['fs', null],
    ['child_process', null],
  ])('reads %s as the package %s', (specifier, expected) => {
    expect(packageOf(specifier)).toBe(expected);
  });
});

describe('importedPackages', () => {
  it.each([
    ["import { z } from 'zod';", ['zod']],
    ["import type { Browser } from 'wxt/browser';", ['wxt']],
    ["import {\n  a,\n  b,\n} from '@webext-core/storage';", ['@webext-core/storage']],
    ["export { defineConfig } from 'vitest/config';", ['vitest']],
    ["export * from 'cockatiel';", ['cockatiel']],
    ["import 'happy-dom';", ['happy-dom']],
    ["const { chromium } = await import('playwright-core');", ['playwright-core']],
    ["const x = require('puppeteer-core');", ['puppeteer-core']],
    ['<script setup lang="ts">\nimport { ref } from \'vue\';\n</script>', ['vue']],
    ["import { a } from './local'; import fs from 'node:fs';", []],
    ["const text = 'imports nothing from anywhere';", []],
  ])('finds the packages of %j', (source, expected) => {
    expect([...importedPackages(source)].sort()).toEqual(expected);
  });
});

describe('checkDependencies', () => {
  const base = (): DependencyCheckInput => ({
    runtimeImports: new Map([['zod', 'utils/a.ts']]),
    devImports: new Map([['vitest', 'tests/a.test.ts']]),
    dependencies: { zod: '4.0.0' },
    devDependencies: { vitest: '4.0.0' },
    usedWithoutImport: {},
    verify: () => null,
  });

  it('finds nothing wrong when declarations match imports', () => {
    expect(checkDependencies(base())).toEqual([]);
  });

  it.each<[string, (input: DependencyCheckInput) => void, string]>([
    [
      'an import that is not declared',
      (input) => input.runtimeImports.set('@webext-core/match-patterns', 'utils/platforms/capture-scope.ts'),
      '@webext-core/match-patterns is imported by utils/platforms/capture-scope.ts but not declared in dependencies',
    ],
    [
      'a dependency that nothing imports',
      (input) => (input.dependencies.uplot = '1.6.32'),
      'uplot is declared in dependencies but nothing imports it',
    ],
    [
      'a devDependency that nothing imports',
      (input) => (input.devDependencies['left-pad'] = '1.0.0'),
      'left-pad is declared in devDependencies but nothing imports it',
    ],
    [
      'shipped code importing a devDependency',
      (input) => input.runtimeImports.set('vitest', 'utils/b.ts'),
      'vitest is imported by utils/b.ts, which ships, but is only a devDependency',
    ],
    [
      'a test importing an undeclared package',
      (input) => input.devImports.set('jsdom', 'tests/c.test.ts'),
      'jsdom is imported by tests/c.test.ts but not declared in devDependencies',
    ],
    [
      'a use-without-import claim that does not hold',
      (input) => {
        input.devDependencies.eslint = '10.0.0';
        input.usedWithoutImport.eslint = { script: 'eslint .' };
        input.verify = () => 'no npm script runs "eslint ."';
      },
      'eslint is declared in devDependencies but not used: no npm script runs "eslint ."',
    ],
    [
      'a use-without-import claim for a package that is not declared',
      (input) => (input.usedWithoutImport.eslint = { script: 'eslint .' }),
      'eslint is listed as used without import but is not declared',
    ],
  ])('reports %s', (_, change, problem) => {
    const input = base();
    change(input);
    expect(checkDependencies(input)).toEqual([problem]);
  });

  it("finds package.json's dependencies matching the repository's imports exactly", () => {
    const pkg = readJson(path.join(ROOT, 'package.json'));
    const problems = checkDependencies({
      runtimeImports: importsUnder(ROOT, RUNTIME_DIRS, BUILD_TIME_DIRS),
      devImports: importsUnder(ROOT, DEV_DIRS),
      dependencies: pkg.dependencies ?? {},
      devDependencies: pkg.devDependencies ?? {},
      usedWithoutImport: USED_WITHOUT_IMPORT,
      verify: verifyInRepository(pkg),
    });
    expect(problems).toEqual([]);
  });
});
