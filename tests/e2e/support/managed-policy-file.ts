import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where Debian's Chromium reads mandatory policy (every *.json file, at browser start). */
export const CHROMIUM_POLICY_DIR = '/etc/chromium/policies/managed';

/** The Chrome extension id a manifest `key` gives: SHA-256 of the key, first 32 hex digits as a–p. */
export function extensionIdFromKey(base64Key: string): string {
  const hex = crypto.createHash('sha256').update(Buffer.from(base64Key, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode('a'.charCodeAt(0) + parseInt(digit, 16))).join('');
}

export interface PolicyFile {
  file: string;
  /** Removes the file (and the folders it created); safe to call twice. */
  remove(): void;
}

/**
 * Writes a Chromium policy file (needs root) and removes it when the test ends, when the process
 * exits, or on SIGINT/SIGTERM: a policy left behind would apply to every Chromium on the machine.
 * The file has this process's pid in its name, so parallel runs never remove each other's.
 */
export function writeChromiumPolicy(policy: Record<string, unknown>, dir = CHROMIUM_POLICY_DIR): PolicyFile {
  const created: string[] = [];
  for (let current = dir; !fs.existsSync(current); current = path.dirname(current)) created.unshift(current);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `webrtc-stats-exporter-e2e-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(policy, null, 2));
  const onSignal = () => {
    remove();
    process.exit(1);
  };
  function remove(): void {
    fs.rmSync(file, { force: true });
    for (const folder of [...created].reverse()) {
      try {
        fs.rmdirSync(folder);
      } catch {
        // Not empty (someone else's policy) or gone: leave it.
      }
    }
    process.off('exit', remove);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.on('exit', remove);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { file, remove };
}
