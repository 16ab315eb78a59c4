import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve('.');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const zipName = (what: string) => `webrtc-stats-exporter-${version}-${what}.zip`;

/**
 * The environment of a store build: none of the test-build switches (loopback permissions, out
 * dir), and not vitest's NODE_ENV=test, under which Vue compiles in development mode (with the
 * absolute path of every component in the bundle).
 */
function storeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name === 'E2E_LOOPBACK' || name === 'WXT_OUT_DIR' || name === 'NODE_ENV' || name.startsWith('VITEST')) delete env[name];
  }
  return env;
}

/** The commands between the build-steps markers of docs/store/build-from-source.md. */
function documentedBuildSteps(): string[] {
  const doc = fs.readFileSync(path.join(root, 'docs/store/build-from-source.md'), 'utf8');
  const block = /<!-- build-steps -->\s*```sh\n([\s\S]*?)```\s*<!-- \/build-steps -->/.exec(doc)?.[1];
  if (!block) throw new Error('docs/store/build-from-source.md has no build-steps block');
  return block.split('\n').map((line) => line.trim()).filter(Boolean);
}

async function unzip(zip: string, into: string): Promise<void> {
  fs.mkdirSync(into, { recursive: true });
  await run('unzip', ['-q', zip, '-d', into]);
}

/** SHA-256 of every file under `dir`, by relative path. */
function fileHashes(dir: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    hashes.set(path.relative(dir, full), crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
  }
  return hashes;
}

describe('store packages', () => {
  let work: string;
  let outDir: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'store-package-'));
    outDir = path.join(work, 'out');
    // `npm run zip` exactly as a release is made, into a temp out dir so no test build is replaced.
    await run('npm', ['run', 'zip'], { cwd: root, env: { ...storeEnv(), WXT_OUT_DIR: outDir }, maxBuffer: 64 * 1024 * 1024 });
  }, 180_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('zips the Chrome package, the Firefox package and the sources', () => {
    for (const what of ['chrome', 'firefox', 'sources']) {
      expect(fs.statSync(path.join(outDir, zipName(what))).size, what).toBeGreaterThan(10_000);
    }
  });

  it('rebuilds the Firefox package from the sources zip with the documented steps, identical file by file', async () => {
    const sources = path.join(work, 'sources');
    await unzip(path.join(outDir, zipName('sources')), sources);
    // `npm ci` would download every package again (minutes, and no network here): the sources get the
    // repository's installed node_modules through a symlink instead. Every other step runs as documented.
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(sources, 'node_modules'), 'dir');
    const steps = documentedBuildSteps();
    expect(steps[0]).toBe('npm ci');
    for (const step of steps.slice(1)) {
      const [command, ...args] = step.split(/\s+/);
      await run(command!, args, { cwd: sources, env: storeEnv(), maxBuffer: 64 * 1024 * 1024 });
    }

    const [uploaded, rebuilt] = [path.join(work, 'uploaded'), path.join(work, 'rebuilt')];
    await unzip(path.join(outDir, zipName('firefox')), uploaded);
    await unzip(path.join(sources, '.output', zipName('firefox')), rebuilt);
    const expected = fileHashes(uploaded);
    expect(expected.size).toBeGreaterThan(10);
    expect(Object.fromEntries(fileHashes(rebuilt))).toEqual(Object.fromEntries(expected));
  }, 180_000);

  it('passes web-ext lint on the Firefox package with 0 errors, 0 warnings and 0 notices', async () => {
    const unpacked = path.join(work, 'lint');
    await unzip(path.join(outDir, zipName('firefox')), unpacked);
    const { stdout } = await run('npx', ['web-ext', 'lint', '--source-dir', unpacked, '--output', 'json', '--no-input'], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<
      'errors' | 'warnings' | 'notices',
      { code: string; message: string; file?: string }[]
    >;
    const found = [...report.errors, ...report.warnings, ...report.notices].map(
      (item) => `${item.code}: ${item.message} (${item.file ?? 'manifest'})`,
    );
    expect(found).toEqual([]);
  });
});
