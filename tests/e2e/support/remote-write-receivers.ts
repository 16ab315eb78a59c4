import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './free-port';

/** One instant-query result: the series' labels and its value. */
export interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** One range-query result: the series' labels and its samples (Unix seconds, value). */
export interface RangeResult {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A running Prometheus-compatible receiver of remote-write, with its query API. */
export interface RemoteWriteReceiver {
  kind: 'prometheus' | 'victoria-metrics';
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Where remote-write bodies go. */
  writeUrl: string;
  /** Makes what was written searchable now (VictoriaMetrics buffers ingested rows for about a second). */
  flush(): Promise<void>;
  query(promql: string, atSeconds?: number): Promise<QueryResult[]>;
  queryRange(promql: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<RangeResult[]>;
  /** The running process's id (for CPU and memory figures), or undefined when stopped. */
  pid(): number | undefined;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts again on the same port and data dir (what was stored comes back). */
  restart(): Promise<void>;
  /** Stops and removes the data dir. */
  stop(): Promise<void>;
}

const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';

/**
 * Debian's Prometheus 2.42 as a remote-write receiver (`--web.enable-remote-write-receiver`),
 * scraping nothing, on a free loopback port with its own data dir. `extraArgs`, e.g.
 * `--query.lookback-delta=20s`, are passed as they are.
 */
export function startPrometheusReceiver(extraArgs: readonly string[] = []): Promise<RemoteWriteReceiver> {
  return startReceiver('prometheus', PROMETHEUS_BIN, (port, dir) => {
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, 'global:\n  scrape_interval: 1h\n');
    return [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      // Remote-write of a replayed outage carries samples minutes old: accept them.
      '--storage.tsdb.allow-overlapping-blocks',
      ...extraArgs,
    ];
  }, '/api/v1/write', '/-/ready');
}

/**
 * Debian's VictoriaMetrics single node on a free loopback port. `-search.latencyOffset=0s`:
 * by default it hides samples younger than 30 s from queries.
 */
export function startVictoriaMetrics(): Promise<RemoteWriteReceiver> {
  return startReceiver('victoria-metrics', VICTORIA_METRICS_BIN, (port, dir) => [
    `-storageDataPath=${path.join(dir, 'data')}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-search.latencyOffset=0s',
    '-search.disableCache',
    '-loggerLevel=ERROR',
  ], '/api/v1/write', '/health', '/internal/force_flush');
}

async function startReceiver(
  kind: RemoteWriteReceiver['kind'],
  bin: string,
  argsFor: (port: number, dir: string) => string[],
  writePath: string,
  readyPath: string,
  flushPath?: string,
): Promise<RemoteWriteReceiver> {
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: install Debian's "${kind === 'prometheus' ? 'prometheus' : 'victoria-metrics'}" package`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${kind}-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';

  async function start(): Promise<void> {
    child = spawn(bin, argsFor(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitFor(async () => (await fetch(`${url}${readyPath}`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      what: `${kind} ready (log: ${log.slice(-500)})`,
    });
  }
  async function halt(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  }
  async function api<T>(pathAndQuery: string): Promise<T> {
    const response = await fetch(`${url}${pathAndQuery}`);
    const json = (await response.json()) as { status: string; data: { result: T }; error?: string };
    if (json.status !== 'success') throw new Error(`${kind} query failed: ${json.error ?? response.status}`);
    return json.data.result;
  }

  await start();
  return {
    kind,
    url,
    writeUrl: `${url}${writePath}`,
    flush: async () => {
      if (flushPath) await fetch(`${url}${flushPath}`);
    },
    query: (promql, at) =>
      api<QueryResult[]>(`/api/v1/query?query=${encodeURIComponent(promql)}${at === undefined ? '' : `&time=${at}`}`),
    queryRange: (promql, start, end, step) =>
      api<RangeResult[]>(`/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${start}&end=${end}&step=${step}`),
    pid: () => child?.pid,
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
    stop: async () => {
      await halt('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
