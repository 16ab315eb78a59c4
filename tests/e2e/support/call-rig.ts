import { startCallPageServer, type CallPageServer } from './call-page-server';
import { launchChromium, type ChromiumHarness, type LaunchChromiumOptions } from './chromium';
import { startPushgateway, type Pushgateway } from './pushgateway';
import type { BrowserDriver } from './browser-driver';

/** What most Chromium e2e files start once: a real Pushgateway (admin API, for wipes), the call pages, a browser with the extension. */
export interface CallRig {
  gateway: Pushgateway;
  pages: CallPageServer;
  browser: ChromiumHarness;
}

/** The same for scenarios shared by both browsers: the browser behind a driver (browser-driver.ts). */
export interface DriverRig<D extends BrowserDriver = BrowserDriver> {
  gateway: Pushgateway;
  pages: CallPageServer;
  driver: D;
}

async function startGatewayAndPages(): Promise<{ gateway: Pushgateway; pages: CallPageServer }> {
  const [gateway, pages] = await Promise.all([startPushgateway({ adminApi: true }), startCallPageServer()]);
  return { gateway, pages };
}

/** Starts the gateway and the page server together, then the browser (with `launch` options, e.g. its own profile dir or another build's directory). */
export async function startCallRig(launch: LaunchChromiumOptions = {}): Promise<CallRig> {
  return { ...(await startGatewayAndPages()), browser: await launchChromium(launch) };
}

/** Starts the gateway and the page server together, then the browser `createDriver` launches. */
export async function startDriverRig<D extends BrowserDriver>(createDriver: () => Promise<D>): Promise<DriverRig<D>> {
  return { ...(await startGatewayAndPages()), driver: await createDriver() };
}

/** Stops whatever of the rig was started (browser first, so nothing pushes into a stopped gateway). */
export async function stopCallRig(rig: Partial<CallRig & DriverRig>): Promise<void> {
  await rig.browser?.close();
  await rig.driver?.close();
  await rig.pages?.close();
  await rig.gateway?.stop();
}
