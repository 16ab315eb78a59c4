import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { freePort, waitFor } from './free-port';

export interface PrometheusOptions {
  /** The Pushgateway to scrape, e.g. `http://127.0.0.1:9091`; scraped with honor_labels: true. */
  pushgatewayUrl: string;
  /** Rule files to load (copied into the temp dir, see `forOverride`). Default none. */
  ruleFiles?: string[];
  /** Scrape interval. Default '2s'. */
  scrapeInterval?: string;
  /** Rule evaluation interval. Default '1s'. */
  evaluationInterval?: string;
  /**
   * Replaces every alert's `for:` with this duration in the loaded copy of the rules, so a test can
   * see an alert fire in seconds instead of minutes. The expressions stay as shipped; the real
   * `for:` values are covered by the promtool unit tests (prometheus/tests). Default: as shipped.
   */
  forOverride?: string;
  /**
   * A scrape config (e.g. prometheus/scrape-config.example.yml) whose sample_limit, label_limit,
   * label_name_length_limit and label_value_length_limit the scrape job takes over, so a test proves
   * those limits accept what the extension pushes. Default: no limits.
   */
  scrapeLimitsFrom?: string;
}

const SCRAPE_LIMITS = ['sample_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit'] as const;

/** The scrape limits a Prometheus config file sets (each `name: number` line), by name. */
export function scrapeLimits(file: string): Partial<Record<(typeof SCRAPE_LIMITS)[number], number>> {
  const text = fs.readFileSync(file, 'utf8');
  const limits: Partial<Record<(typeof SCRAPE_LIMITS)[number], number>> = {};
  for (const name of SCRAPE_LIMITS) {
    const match = new RegExp(`^\\s+${name}: (\\d+)\\s*$`, 'm').exec(text);
    if (match) limits[name] = Number(match[1]);
  }
  return limits;
}

/** One series of an instant query result. */
export interface PromSample {
  labels: Record<string, string>;
  /** The sample value; NaN and ±Inf as JavaScript numbers. */
  value: number;
}

/** One alert as `/api/v1/alerts` lists it. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: number;
}

export interface Prometheus {
  url: string;
  port: number;
  /** Instant query (now, or at `time` in Unix seconds). A scalar result comes back as one sample without labels. */
  query(expr: string, time?: number): Promise<PromSample[]>;
  /** Range query; one entry per series with all its values. */
  queryRange(expr: string, range: { start: number; end: number; step: number }): Promise<Array<{ labels: Record<string, string>; values: number[] }>>;
  /** Active alerts (pending and firing). */
  alerts(): Promise<PromAlert[]>;
  /** Waits until the Pushgateway target has been scraped successfully. */
  waitForScrape(timeoutMs?: number): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s) and removes the data dir. */
  stop(): Promise<void>;
  /** The tail of what Prometheus printed, for failure messages. */
  log(): string;
}

const READY_TIMEOUT_MS = 20_000;

const apiEnvelope = z.object({ status: z.string(), data: z.unknown().optional(), error: z.string().optional() });
const sampleValue = z.tuple([z.number(), z.string()]);
const queryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })) }),
  z.object({ resultType: z.literal('scalar'), result: sampleValue }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sampleValue) })) }),
  z.object({ resultType: z.literal('string'), result: sampleValue }),
]);
const alertsData = z.object({
  alerts: z.array(
    z.object({
      labels: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.string()),
      state: z.enum(['pending', 'firing']),
      value: z.string(),
    }),
  ),
});

/**
 * Starts Debian's Prometheus (PROMETHEUS_BIN or /usr/bin/prometheus) on 127.0.0.1 on a free port,
 * with a temp data dir and a generated config that scrapes one Pushgateway with honor_labels: true
 * (as prometheus/scrape-config.example.yml does) and loads the given rules.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const bin = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-prometheus-'));
  const ruleFiles = (options.ruleFiles ?? []).map((file, i) => {
    let text = fs.readFileSync(file, 'utf8');
    if (options.forOverride) text = text.replace(/^(\s+for:\s*)\S+$/gm, `$1${options.forOverride}`);
    const copy = path.join(dir, `${i}-${path.basename(file)}`);
    fs.writeFileSync(copy, text);
    return copy;
  });
  const config = {
    global: { scrape_interval: options.scrapeInterval ?? '2s', evaluation_interval: options.evaluationInterval ?? '1s' },
    rule_files: ruleFiles,
    scrape_configs: [
      {
        job_name: 'pushgateway',
        honor_labels: true,
        static_configs: [{ targets: [new URL(options.pushgatewayUrl).host] }],
        ...(options.scrapeLimitsFrom ? scrapeLimits(options.scrapeLimitsFrom) : {}),
      },
    ],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML

  let output = '';
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (chunk: Buffer) => {
    // Keep the tail only: a long run must not grow this without bound.
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`prometheus exited early (code ${code}):\n${output}`))),
  );
  exited.catch(() => {});

  async function stop(): Promise<void> {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await gone;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  async function api(pathname: string, params: Record<string, string> = {}): Promise<unknown> {
    const response = await fetch(`${url}${pathname}?${new URLSearchParams(params)}`);
    const body = apiEnvelope.parse(await response.json());
    if (body.status !== 'success') throw new Error(`${pathname} ${JSON.stringify(params)}: ${body.error ?? response.status}`);
    return body.data;
  }

  async function query(expr: string, time?: number): Promise<PromSample[]> {
    const data = queryData.parse(await api('/api/v1/query', time === undefined ? { query: expr } : { query: expr, time: String(time) }));
    if (data.resultType === 'vector') return data.result.map((row) => ({ labels: row.metric, value: Number(row.value[1]) }));
    if (data.resultType === 'scalar') return [{ labels: {}, value: Number(data.result[1]) }];
    throw new Error(`unexpected ${data.resultType} result for an instant query: ${expr}`);
  }

  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: READY_TIMEOUT_MS, what: 'prometheus /-/ready' }),
      exited,
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    port,
    query,
    async queryRange(expr, { start, end, step }) {
      const data = queryData.parse(await api('/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) }));
      if (data.resultType !== 'matrix') throw new Error(`unexpected ${data.resultType} result for a range query: ${expr}`);
      return data.result.map((row) => ({ labels: row.metric, values: row.values.map(([, value]) => Number(value)) }));
    },
    async alerts() {
      const data = alertsData.parse(await api('/api/v1/alerts'));
      return data.alerts.map((alert) => ({ ...alert, value: Number(alert.value) }));
    },
    async waitForScrape(timeoutMs = 15_000) {
      await waitFor(async () => (await query('up{job="pushgateway"} == 1')).length > 0, {
        timeoutMs,
        what: `a successful scrape of ${options.pushgatewayUrl}`,
      });
    },
    stop,
    log: () => output,
  };
}
