import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's promtool (package `prometheus`); PROMTOOL_BIN overrides. */
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

/** What one promtool run printed (stdout then stderr) and its exit status. */
export interface PromtoolRun {
  status: number | null;
  output: string;
}

/**
 * Runs promtool with `args` (e.g. `['check', 'rules', file]`) and returns its output and status;
 * throws with an install hint when promtool is missing, so a missing tool never reads as a pass.
 */
export function runPromtool(args: string[], options: { cwd?: string; input?: string } = {}): PromtoolRun {
  if (!existsSync(PROMTOOL_BIN)) {
    throw new Error(`${PROMTOOL_BIN} is missing: install Debian's "prometheus" package (apt-get install prometheus)`);
  }
  const run = spawnSync(PROMTOOL_BIN, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
