import { expect } from 'vitest';
import { waitFor } from './free-port';
import { connectionGroups } from './exporter-control';
import type { GatewayGroup, Pushgateway } from './pushgateway';
import type { ScenarioPage } from './platform-shapes';

/** Waits until the gateway holds exactly two connection groups (a loopback call's two ends). */
export async function twoGroups(gateway: Pushgateway, what: string, timeoutMs = 10_000): Promise<GatewayGroup[]> {
  return waitFor(
    async () => {
      const found = await connectionGroups(gateway);
      return found.length === 2 ? found : undefined;
    },
    { timeoutMs, what },
  );
}

/** Loads early.html, whose first inline script connects two peer connections, and expects both exported. */
export async function expectFirstInlineScriptCaptured(page: ScenarioPage, earlyUrl: string, gateway: Pushgateway): Promise<void> {
  await page.goto(earlyUrl);
  const groups = await twoGroups(gateway, 'groups of the two early connections');
  // Data-channel-only connections: exported once connected, with their start time at once.
  expect(groups.every((group) => group.families.webrtc_connection_start_timestamp_seconds)).toBe(true);
}

/** Loads iframe.html, starts its call inside a pristine about:blank iframe, and expects both connections exported. */
export async function expectAboutBlankIframeCaptured(page: ScenarioPage, iframeUrl: string, gateway: Pushgateway): Promise<void> {
  await page.goto(iframeUrl);
  await page.evaluate(() => window.startCall().then(() => undefined));
  const groups = await twoGroups(gateway, 'groups of the iframe call');
  expect(groups.every((group) => group.families.webrtc_connection_start_timestamp_seconds)).toBe(true);
}
