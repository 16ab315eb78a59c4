import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../dependencies/dependency-check';

const ROOT = path.resolve(__dirname, '../../..');
const ADAPTER = 'utils/storage/extension-storage.ts';
/** Ways to reach the browser's storage without the adapter (code, not prose: a `.` then a member). */
const DIRECT_ACCESS = [/\b(?:browser|chrome)\.storage\b/, /['"]@webext-core\/storage['"]/];

describe('storage access', () => {
  it('goes through the one adapter: no other shipped file touches browser.storage or @webext-core/storage', () => {
    const offenders = sourceFiles(ROOT, ['entrypoints', 'utils', 'components'])
      .map((file) => path.relative(ROOT, file))
      .filter((file) => file !== ADAPTER)
      .filter((file) => DIRECT_ACCESS.some((pattern) => pattern.test(readFileSync(path.join(ROOT, file), 'utf8'))));

    expect(offenders).toEqual([]);
  });

  it('finds the access in the adapter itself, so the check above can see it', () => {
    const adapter = readFileSync(path.join(ROOT, ADAPTER), 'utf8');
    expect(DIRECT_ACCESS.every((pattern) => pattern.test(adapter))).toBe(true);
  });
});
