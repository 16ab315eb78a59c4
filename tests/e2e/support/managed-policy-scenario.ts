import { expect } from 'vitest';
import { waitFor } from './free-port';
import { connectionGroups } from './exporter-control';
import type { Pushgateway } from './pushgateway';
import type { ScenarioPage } from './platform-shapes';

/** The policy both browsers' tests set: gateway, agent id, interval and the loopback call page's origin. */
export function policyUnderTest(gatewayUrl: string): Record<string, unknown> {
  return {
    gateway: { url: gatewayUrl, job: 'e2e-policy' },
    agentId: 'policy-agent',
    intervalMs: 1000,
    customOrigins: ['http://127.0.0.1/*'],
  };
}

/** What a user saves over it (the options page would, were the fields not locked). */
export const USER_SETTINGS = {
  gateway: { url: 'http://127.0.0.1:9/user', job: 'user-job' },
  agentId: 'user-agent',
  intervalMs: 5000,
};

/**
 * Starts a call on `callUrl` and expects its two groups at the policy's gateway with the policy's
 * job and agent id, whatever the user saved.
 */
export async function expectCallExportedUnderPolicy(page: ScenarioPage, callUrl: string, gateway: Pushgateway): Promise<void> {
  await page.goto(callUrl);
  await page.evaluate(() => window.startCall({ video: false }).then(() => undefined));
  const groups = await waitFor(
    async () => {
      const found = await connectionGroups(gateway);
      return found.length === 2 ? found : undefined;
    },
    { timeoutMs: 20_000, what: 'the call’s groups at the policy’s gateway' },
  );
  const labels = groups.map((group) => {
    const sample = Object.entries(group.families)
      .filter(([name]) => name.startsWith('webrtc_'))
      .flatMap(([, family]) => family.metrics)[0];
    return { job: group.labels.job, agent: group.labels.agent_id ?? sample?.labels.agent_id };
  });
  expect(labels).toEqual([
    { job: 'e2e-policy', agent: 'policy-agent' },
    { job: 'e2e-policy', agent: 'policy-agent' },
  ]);
}
