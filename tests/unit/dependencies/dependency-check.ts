import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Module specifiers in import/export-from, side-effect imports, dynamic import() and require(). */
const SPECIFIER_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
  /\bimport\s*['"]([^'"\n]+)['"]/g,
  /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  /\brequire\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];
const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;
const BUILTINS = new Set(builtinModules);

/**
 * The npm package a module specifier names, or null for relative paths, the project's aliases
 * (`@/`, `~/`, `#imports`), `virtual:` modules and Node built-ins.
 */
export function packageOf(specifier: string): string | null {
  if (/^(?:\.|\/|@\/|~|#|virtual:|node:)/.test(specifier)) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  if (!PACKAGE_NAME.test(name) || BUILTINS.has(name)) return null;
  return name;
}

/** Packages a source file imports (type-only imports count: the types come from the package). */
export function importedPackages(source: string): Set<string> {
  const found = new Set<string>();
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const match of source.matchAll(pattern)) {
      const name = packageOf(match[1] ?? '');
      if (name) found.add(name);
    }
  }
  return found;
}

const SOURCE_FILE = /\.(?:[cm]?[jt]s|vue)$/;

/** Every source file under `dirs` (relative to `root`), except under `exclude`. */
export function sourceFiles(root: string, dirs: readonly string[], exclude: readonly string[] = []): string[] {
  const files: string[] = [];
  const skipped = new Set(exclude.map((dir) => path.join(root, dir)));
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'node_modules' && !skipped.has(full)) walk(full);
      } else if (SOURCE_FILE.test(name)) files.push(full);
    }
  };
  for (const dir of dirs) {
    const full = path.join(root, dir);
    if (statSync(full, { throwIfNoEntry: false })?.isFile()) files.push(full);
    else if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) walk(full);
  }
  return files;
}

/** Packages imported by the files under `dirs` (but not `exclude`), with one importing file each (for the message). */
export function importsUnder(root: string, dirs: readonly string[], exclude: readonly string[] = []): Map<string, string> {
  const imports = new Map<string, string>();
  for (const file of sourceFiles(root, dirs, exclude)) {
    for (const name of importedPackages(readFileSync(file, 'utf8'))) {
      if (!imports.has(name)) imports.set(name, path.relative(root, file));
    }
  }
  return imports;
}

/**
 * Why a declared package is needed although no file imports it, in a form the check can verify:
 * a command in package.json's scripts, a text in a file, or a peer dependency of a declared package.
 */
export type UseWithoutImport =
  | { script: string }
  | { file: string; contains: string }
  | { peerOf: string }
  /** Type declarations (`@types/x`) of a package that is imported. */
  | { typesOf: string };

export interface DependencyCheckInput {
  /** Packages imported by what ships (entrypoints/, utils/, components/), with an importing file. */
  runtimeImports: Map<string, string>;
  /** Packages imported by tests, scripts and config files. */
  devImports: Map<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  usedWithoutImport: Record<string, UseWithoutImport>;
  /** Checks one use-without-import claim; returns why it does not hold, or null. */
  verify: (name: string, use: UseWithoutImport) => string | null;
}

/** Every mismatch between what is declared and what is imported, as one sentence each. */
export function checkDependencies(input: DependencyCheckInput): string[] {
  const problems: string[] = [];
  const { dependencies, devDependencies } = input;
  for (const [name, file] of input.runtimeImports) {
    if (name in dependencies) continue;
    problems.push(
      name in devDependencies
        ? `${name} is imported by ${file}, which ships, but is only a devDependency`
        : `${name} is imported by ${file} but not declared in dependencies`,
    );
  }
  for (const [name, file] of input.devImports) {
    if (!(name in dependencies) && !(name in devDependencies)) {
      problems.push(`${name} is imported by ${file} but not declared in devDependencies`);
    }
  }
  const check = (name: string, used: boolean, kind: string): void => {
    const claim = input.usedWithoutImport[name];
    if (used) return;
    if (!claim) {
      problems.push(`${name} is declared in ${kind} but nothing imports it`);
      return;
    }
    const failure = input.verify(name, claim);
    if (failure) problems.push(`${name} is declared in ${kind} but not used: ${failure}`);
  };
  for (const name of Object.keys(dependencies)) check(name, input.runtimeImports.has(name), 'dependencies');
  for (const name of Object.keys(devDependencies)) {
    check(name, input.devImports.has(name) || input.runtimeImports.has(name), 'devDependencies');
  }
  for (const name of Object.keys(input.usedWithoutImport)) {
    if (!(name in dependencies) && !(name in devDependencies)) {
      problems.push(`${name} is listed as used without import but is not declared`);
    }
  }
  return problems;
}
