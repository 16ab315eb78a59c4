import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FirefoxPolicyInstall {
  /** The temp install's executable: pass as `executablePath` (launchFirefox's FIREFOX_PATH). */
  executable: string;
  remove(): void;
}

/**
 * A temp Firefox "install" with its own `distribution/policies.json`, so a policy test never
 * changes the machine's Firefox (which other runs use at the same time).
 *
 * What works with Debian's firefox-esr 153: Firefox reads policies.json from the `distribution`
 * folder beside its executable (`XREAppDist`; `/etc/firefox/policies` first if present;
 * `browser.policies.alternatePath` only counts in automation builds and Nightly). The install
 * folder is copied as hard links (`cp -al`: instant, no extra disk), and the executable is run
 * from the copy, so its distribution folder is the copy's. Debian's `distribution` is a symlink
 * into /usr/share: the copy gets a real folder instead.
 */
export function firefoxInstallWithPolicies(policies: Record<string, unknown>, installDir = '/usr/lib/firefox-esr'): FirefoxPolicyInstall {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'firefox-policy-'));
  const copy = path.join(root, 'firefox');
  execFileSync('cp', ['-al', installDir, copy]);
  const distribution = path.join(copy, 'distribution');
  fs.rmSync(distribution, { recursive: true, force: true });
  fs.mkdirSync(distribution);
  fs.writeFileSync(path.join(distribution, 'policies.json'), JSON.stringify({ policies }, null, 2));
  return {
    executable: path.join(copy, 'firefox-esr'),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
