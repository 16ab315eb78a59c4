import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './free-port';

/** One sample of a metric family as `/api/v1/metrics` lists it. */
export interface GatewaySample {
  labels: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  quantiles?: Record<string, string>;
  count?: string;
  sum?: string;
}

/** One metric family inside a group. */
export interface GatewayFamily {
  type: string;
  help: string;
  time_stamp: string;
  metrics: GatewaySample[];
}

/** One Pushgateway group: its grouping labels, push status and families by metric name. */
export interface GatewayGroup {
  labels: Record<string, string>;
  lastPushSuccessful: boolean;
  families: Record<string, GatewayFamily>;
}

export interface PushgatewayOptions {
  /** Pass `--web.enable-admin-api` (allows `wipe()`). Default false. */
  adminApi?: boolean;
  /**
   * Run in its own process group, so a Ctrl-C in the terminal does not kill it before the caller
   * has cleaned up (the demo). Default false: then a signal to the test run's group ends it too.
   */
  detached?: boolean;
  /**
   * Pass `--push.disable-consistency-check`: each push is then no longer checked against every
   * metric the gateway holds (the fleet simulation's comparison). Default false.
   */
  noConsistencyCheck?: boolean;
}

export interface RestartOptions {
  /** Keep the persistence file, so the groups saved on a clean stop come back. Default false. */
  keepPersistence?: boolean;
}

export interface Pushgateway {
  url: string;
  port: number;
  /** Stops with SIGTERM (the gateway writes its persistence file). */
  stop(): Promise<void>;
  /** Kills with SIGKILL (a crash: nothing written). */
  kill(): Promise<void>;
  /** Starts again on the same port; empty state unless `keepPersistence`. */
  restart(options?: RestartOptions): Promise<void>;
  /** Parsed `GET /api/v1/metrics`. */
  metrics(): Promise<GatewayGroup[]>;
  /** The grouping labels of every group. */
  groups(): Promise<Record<string, string>[]>;
  /** `GET /metrics` exposition text. */
  text(): Promise<string>;
  /** Pushes exposition text to `/metrics/<groupPath>` (e.g. `job/j/peerConnectionId/p`). */
  push(groupPath: string, body: string, method?: 'PUT' | 'POST'): Promise<Response>;
  /** `PUT /api/v1/admin/wipe` (needs `adminApi`). */
  wipe(): Promise<void>;
  /** Everything the gateway printed, for failure messages. */
  log(): string;
  /** The running process's id (for CPU and memory figures), or undefined when stopped. */
  pid(): number | undefined;
}

const READY_TIMEOUT_MS = 15_000;

/**
 * Starts a Prometheus Pushgateway on 127.0.0.1 on a free port with its own persistence file
 * (Debian's default is under /var/lib, shared and root-owned). Binary: PUSHGATEWAY_BIN or
 * /usr/bin/prometheus-pushgateway.
 */
export async function startPushgateway(options: PushgatewayOptions = {}): Promise<Pushgateway> {
  const bin = process.env.PUSHGATEWAY_BIN ?? '/usr/bin/prometheus-pushgateway';
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-pushgateway-'));
  const persistenceFile = path.join(dir, 'persistence.db');
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    const args = [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${persistenceFile}`];
    if (options.adminApi) args.push('--web.enable-admin-api');
    if (options.noConsistencyCheck) args.push('--push.disable-consistency-check');
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
    child = proc;
    const collect = (chunk: Buffer) => {
      // Keep the tail only: a long test run must not grow this without bound.
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`pushgateway exited early (code ${code}):\n${output}`))),
    );
    exited.catch(() => {});
    await Promise.race([
      waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: READY_TIMEOUT_MS, what: 'pushgateway /-/ready' }),
      exited,
    ]);
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  }

  async function getJson(pathname: string): Promise<unknown> {
    const response = await fetch(url + pathname);
    if (!response.ok) throw new Error(`GET ${pathname} -> ${response.status}: ${await response.text()}`);
    return response.json();
  }

  async function metrics(): Promise<GatewayGroup[]> {
    const body = (await getJson('/api/v1/metrics')) as { data?: Record<string, unknown>[] };
    return (body.data ?? []).map(parseGroup);
  }

  // The dir must outlive stop()/kill() because restart() may follow; remove it when node exits,
  // and never leave a gateway running behind a crashed test run.
  process.once('exit', () => {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await start();

  return {
    url,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart({ keepPersistence = false } = {}) {
      await end('SIGTERM');
      if (!keepPersistence) fs.rmSync(persistenceFile, { force: true });
      await start();
    },
    metrics,
    async groups() {
      return (await metrics()).map((group) => group.labels);
    },
    async text() {
      const response = await fetch(`${url}/metrics`);
      return response.text();
    },
    push(groupPath, body, method = 'PUT') {
      return fetch(`${url}/metrics/${groupPath.replace(/^\//, '')}`, {
        method,
        body,
        headers: { 'content-type': 'text/plain; version=0.0.4' },
      });
    },
    async wipe() {
      const response = await fetch(`${url}/api/v1/admin/wipe`, { method: 'PUT' });
      if (!response.ok) throw new Error(`wipe -> ${response.status} (start with adminApi: true)`);
    },
    log: () => output,
    pid: () => child?.pid,
  };

  function parseGroup(raw: Record<string, unknown>): GatewayGroup {
    const families: Record<string, GatewayFamily> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'labels' || key === 'last_push_successful') continue;
      if (value && typeof value === 'object' && 'metrics' in value) families[key] = value as GatewayFamily;
    }
    return {
      labels: (raw.labels ?? {}) as Record<string, string>,
      lastPushSuccessful: raw.last_push_successful === true,
      families,
    };
  }
}
