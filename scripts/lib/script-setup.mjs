// What the scripts that drive the built extension (demo, screenshots) share: the repository root
// as working directory, `--flag` / `--name value` arguments, loading TypeScript support files
// through tsx, and the test build.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

/** The repository root; importing this module makes it the working directory. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);

/** `flag('x')`: whether `--x` was given; `option('x', fallback)`: the word after `--x`, or `fallback`. */
export function parseArgs(argv = process.argv.slice(2)) {
  return {
    flag: (name) => argv.includes(`--${name}`),
    option: (name, fallback) => {
      const i = argv.indexOf(`--${name}`);
      return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
    },
  };
}

/** Imports a TypeScript file of the repository (path relative to the root). */
export const load = (file) => tsImport(path.join(root, file), import.meta.url);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds the test build (E2E_LOOPBACK=1: loopback host permission at install) into WXT_OUT_DIR
 * (`.output` when unset); exits the process when the build fails.
 */
export function buildTestExtension() {
  const into = process.env.WXT_OUT_DIR ? ` into ${process.env.WXT_OUT_DIR}` : '';
  console.log(`Building the extension${into} (E2E_LOOPBACK=1)...`);
  const build = spawnSync('npx', ['wxt', 'build'], { stdio: 'inherit', env: { ...process.env, E2E_LOOPBACK: '1' } });
  if (build.status !== 0) {
    console.error('Build failed');
    process.exit(1);
  }
}
