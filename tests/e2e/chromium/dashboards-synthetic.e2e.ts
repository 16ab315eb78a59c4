import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../utils/metrics/encode-snapshot';
import { loadFixture } from '../../fixtures/load-fixture';
import { waitFor } from '../support/free-port';
import { CALL_ALERTS, describeAlertValues, expectPanelData, grafanaBuiltins, queryPanel, waitForCallAlerts } from '../support/dashboard-check';
import { loadDashboard, queryPanels, substituteVariables, type DashboardName } from '../support/grafana-dashboard';
import { scrapeLimits, startPrometheus, type PromAlert, type Prometheus } from '../support/prometheus';
import { promqlExamples } from '../support/promql-examples';
import { startPushgateway, type Pushgateway } from '../support/pushgateway';
import {
  cleanConnection,
  connectionBody,
  connectionGroupPath,
  exporterBody,
  exporterGroupPath,
  healthyExporter,
  impairedConnection,
  troubledExporter,
} from '../support/synthetic-quality';

// No browser here: hand-written quality-profile pushes (docs/metrics.md) to a real Pushgateway,
// scraped by a real Prometheus that loads the shipped rules. It proves the dashboards' queries and
// the alert expressions today; dashboards.e2e.ts does the same with a real call in Chromium.

const JOB = 'webrtc-e2e';
const LEGACY_JOB = 'webrtc-legacy-e2e';
const PUSH_EVERY_MS = 1_000;
const SCRAPE = '2s';
const EVALUATION = '1s';
const SCRAPE_EXAMPLE = path.resolve('prometheus/scrape-config.example.yml');
const RULES = ['prometheus/recording-rules.yml', 'prometheus/alert-rules.yml'].map((file) => path.resolve(file));

const CLEAN = { job: JOB, agentId: 'agent-clean', callId: 'call-clean', peerConnectionId: 'pc-clean' };
const IMPAIRED = { job: JOB, agentId: 'agent-bad', callId: 'call-bad', peerConnectionId: 'pc-bad' };
const HEALTHY_BROWSER = { job: JOB, agentId: 'agent-clean', instance: 'browser-clean' };
const TROUBLED_BROWSER = { job: JOB, agentId: 'agent-bad', instance: 'browser-bad' };

const EXPORTER_ALERTS = ['WebRTCExporterBreakerOpen', 'WebRTCExporterOutboxFull', 'WebRTCExporterDropping'];

const BUILTINS = grafanaBuiltins(2);

/** The example queries operators copy: README's Metrics section and docs/metrics.md, read as they are now. */
const README_EXAMPLES = promqlExamples('README.md', 'Metrics');
const CONTRACT_EXAMPLES = promqlExamples('docs/metrics.md');

function panelsOf(name: DashboardName) {
  return queryPanels(loadDashboard(name)).map((panel) => [panel.title, panel] as const);
}

describe('dashboards and alerts on real Prometheus with hand-written quality-profile pushes', () => {
  let gateway: Pushgateway;
  let prometheus: Prometheus;
  let timer: NodeJS.Timeout | undefined;
  let tick = 0;
  let pushImpaired = true;
  const pushErrors: string[] = [];

  /** The round of pushes under way, if any: a delete must wait for it, or the round puts the group back. */
  let pushing: Promise<void> = Promise.resolve();

  function pushAll(): Promise<void> {
    pushing = pushing.then(pushRound, pushRound);
    return pushing;
  }

  async function pushRound(): Promise<void> {
    tick += 1;
    const now = Date.now() / 1000;
    const bodies: Array<[string, string]> = [
      [connectionGroupPath(cleanConnection(CLEAN, tick)), connectionBody(cleanConnection(CLEAN, tick))],
      [exporterGroupPath(healthyExporter(HEALTHY_BROWSER, tick, now)), exporterBody(healthyExporter(HEALTHY_BROWSER, tick, now))],
      [exporterGroupPath(troubledExporter(TROUBLED_BROWSER, tick, now)), exporterBody(troubledExporter(TROUBLED_BROWSER, tick, now))],
      ...legacyBodies(tick, now),
    ];
    if (pushImpaired) bodies.push([connectionGroupPath(impairedConnection(IMPAIRED, tick)), connectionBody(impairedConnection(IMPAIRED, tick))]);
    for (const [group, body] of bodies) {
      const response = await gateway.push(group, body);
      if (!response.ok && pushErrors.length < 10) pushErrors.push(`${group}: ${response.status} ${await response.text()}`);
    }
  }

  /** Legacy naming: the real encoder's output for a recorded Chromium call (first sample, then the later one). */
  function legacyBodies(n: number, now: number): Array<[string, string]> {
    const fixture = loadFixture('chromium-av-loopback');
    const groups = fixture.pcs.map((pc, i): [string, string] => {
      const stats = n === 1 ? (pc.samples?.[0] ?? pc.stats) : pc.stats;
      const labels = { agent_id: 'agent-legacy', platform: 'custom', pageUrl: 'https://calls.example.com' };
      const { text } = encodeSnapshot(stats, { naming: 'legacy', labels, maxSeries: 5_000 });
      return [`job/${LEGACY_JOB}/peerConnectionId/legacy-${pc.role}-${i}`, text];
    });
    const browser = healthyExporter({ job: LEGACY_JOB, agentId: 'agent-legacy', instance: 'browser-legacy' }, n, now);
    return [...groups, [exporterGroupPath(browser), exporterBody(browser)]];
  }

  async function activeAlerts(): Promise<PromAlert[]> {
    return prometheus.alerts();
  }

  beforeAll(async () => {
    gateway = await startPushgateway({ adminApi: true });
    prometheus = await startPrometheus({
      pushgatewayUrl: gateway.url,
      ruleFiles: RULES,
      scrapeInterval: SCRAPE,
      evaluationInterval: EVALUATION,
      forOverride: '2s',
      scrapeLimitsFrom: SCRAPE_EXAMPLE,
    });
    await pushAll();
    timer = setInterval(() => void pushAll().catch((error: Error) => pushErrors.push(error.message)), PUSH_EVERY_MS);
    await prometheus.waitForScrape();
    // Counters need two scrapes with different values before rate() and increase() answer.
    await waitFor(async () => (await prometheus.query(`increase(webrtc_exporter_dropped_total{job="${JOB}",reason="queue-full"}[10s]) > 0`)).length > 0, {
      timeoutMs: 20_000,
      what: 'two scrapes of the rising drop counter',
    });
  });

  afterAll(async () => {
    if (timer) clearInterval(timer);
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('scrapes everything within the scrape-config example\'s limits', async () => {
    const limits = scrapeLimits(SCRAPE_EXAMPLE);
    expect(Object.keys(limits).sort()).toEqual(['label_limit', 'label_name_length_limit', 'label_value_length_limit', 'sample_limit']);
    const [up] = await prometheus.query('up{job="pushgateway"}');
    const [samples] = await prometheus.query('scrape_samples_scraped{job="pushgateway"}');
    console.info(`[scrape] ${samples?.value} samples per scrape (quality + legacy groups), sample_limit ${limits.sample_limit}`);
    expect(up?.value).toBe(1);
    expect(samples!.value).toBeGreaterThan(100);
  });

  it('accepts every hand-written push (the bodies follow the contract and keep one TYPE per name)', () => {
    expect(pushErrors).toEqual([]);
  });

  it('fires every call alert for the impaired call and none for the clean call', async () => {
    const firing = await waitForCallAlerts(prometheus, IMPAIRED.callId, CALL_ALERTS, 30_000);
    for (const name of CALL_ALERTS) {
      const alert = firing.find((candidate) => candidate.labels.alertname === name)!;
      expect(alert.labels).toMatchObject({ job: JOB, agent_id: IMPAIRED.agentId, platform: 'genesys' });
      expect(alert.annotations.summary).toContain(IMPAIRED.callId);
      expect(alert.annotations.summary).toContain(IMPAIRED.agentId);
    }
    for (const line of await describeAlertValues(prometheus, { impaired: IMPAIRED.callId, clean: CLEAN.callId })) console.info(`[alerts] ${line}`);
    const everything = await activeAlerts();
    expect(everything.filter((alert) => alert.labels.call_id === CLEAN.callId || alert.labels.agent_id === CLEAN.agentId)).toEqual([]);
    expect(everything.filter((alert) => ['WebRTCExporterNoPush', 'WebRTCGroupLeftBehind'].includes(alert.labels.alertname!))).toEqual([]);
  });

  it('fires the exporter-health alerts for the troubled browser only', async () => {
    const firing = await waitFor(
      async () => {
        const alerts = (await activeAlerts()).filter((alert) => alert.state === 'firing' && EXPORTER_ALERTS.includes(alert.labels.alertname!));
        return EXPORTER_ALERTS.every((name) => alerts.some((alert) => alert.labels.alertname === name)) ? alerts : undefined;
      },
      { timeoutMs: 30_000, what: `all of ${EXPORTER_ALERTS.join(', ')} firing` },
    );
    for (const alert of firing) {
      expect(alert.labels).toMatchObject({ agent_id: TROUBLED_BROWSER.agentId, exporter_instance: TROUBLED_BROWSER.instance });
      console.info(`[alerts] ${alert.labels.alertname}: troubled browser ${alert.value} (firing), healthy browser silent`);
    }
  });

  describe.each([
    ['impaired', IMPAIRED],
    ['clean', CLEAN],
  ])('quality dashboard for the %s call', (which, call) => {
    it.each(panelsOf('quality'))('panel "%s" returns data for the call', async (_title, panel) => {
      const values = { job: JOB, platform: '.*', agent: call.agentId, call: call.callId, ...BUILTINS };
      // The impaired call makes every query of every panel answer; a clean call has no quality
      // reasons, so there one answering query per panel is enough.
      expectPanelData(panel, await queryPanel(prometheus, panel, values), call, which === 'impaired');
    });
  });

  it.each([
    ['Packet loss (%)', 7],
    ['Jitter (ms)', 50],
    ['Round-trip time (ms)', 420],
    ['Audio concealment (%)', 11],
    ['MOS per call', 2.9],
    ['Video resolution (frame height)', 360],
  ])('quality panel "%s" shows the impaired call in display units (max %d)', async (title, expected) => {
    const panel = queryPanels(loadDashboard('quality')).find((candidate) => candidate.title === title)!;
    const values = { job: JOB, platform: '.*', agent: IMPAIRED.agentId, call: IMPAIRED.callId, ...BUILTINS };
    const rows = await prometheus.query(substituteVariables(panel.targets![0]!.expr, values));
    expect(Math.max(...rows.map((row) => row.value))).toBeCloseTo(expected, 6);
  });

  it.each(panelsOf('legacy'))('legacy dashboard panel "%s" returns data for every query (honor_labels, no exported_job)', async (_title, panel) => {
    const values = { job: LEGACY_JOB, agent: 'agent-legacy', connection: '.*', ...BUILTINS };
    for (const target of panel.targets ?? []) {
      const rows = await prometheus.query(substituteVariables(target.expr, values));
      expect(rows.length, `target ${target.refId}: ${target.expr}`).toBeGreaterThan(0);
    }
  });

  it('finds the example queries of README "Metrics" and docs/metrics.md to run', () => {
    // An emptied or renamed block must fail here rather than leave the next test with nothing to run.
    expect(README_EXAMPLES.length).toBeGreaterThanOrEqual(5);
    expect(CONTRACT_EXAMPLES.length).toBeGreaterThanOrEqual(1);
  });

  it.each([...README_EXAMPLES, ...CONTRACT_EXAMPLES].map((example) => [example.where, example.says, example] as const))(
    'example query at %s (%s) answers with data',
    async (_where, _says, example) => {
      // Counters (increase) need two scrapes of a rising value: beforeAll waited for those.
      const rows = await prometheus.query(example.expr);
      console.info(`[examples] ${example.expr} -> ${rows.map((row) => `${JSON.stringify(row.labels)} ${row.value}`).join('; ')}`);
      expect(rows.length, example.expr).toBeGreaterThan(0);
      for (const row of rows) expect(Number.isFinite(row.value), `${example.expr}: ${row.value}`).toBe(true);
    },
  );

  it('stops alerting for the impaired call within one scrape and one evaluation after its group is deleted', async () => {
    pushImpaired = false;
    await pushing.catch(() => undefined);
    const deleted = await fetch(`${gateway.url}/metrics/${connectionGroupPath(impairedConnection(IMPAIRED, 0))}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    const started = Date.now();
    await waitFor(async () => (await activeAlerts()).every((alert) => alert.labels.call_id !== IMPAIRED.callId), {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: `no alert left for ${IMPAIRED.callId}`,
    });
    const elapsed = Date.now() - started;
    console.info(`[alerts] impaired call's alerts gone ${elapsed} ms after its group was deleted (scrape ${SCRAPE}, evaluation ${EVALUATION})`);
    // One scrape interval (2 s) + one evaluation (1 s) + 2 s for a loaded machine.
    expect(elapsed).toBeLessThan(5_000);
  });
});
