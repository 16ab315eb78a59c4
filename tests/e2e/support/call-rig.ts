import { startCallPageServer, type CallPageServer } from './call-page-server';
import { launchChromium, type ChromiumHarness, type LaunchChromiumOptions } from './chromium';
import { startPushgateway, type Pushgateway } from './pushgateway';

/** What most Chromium e2e files start once: a real Pushgateway (admin API, for wipes), the call pages, a browser with the extension. */
export interface CallRig {
  gateway: Pushgateway;
  pages: CallPageServer;
  browser: ChromiumHarness;
}

/** Starts the gateway and the page server together, then the browser (`launch`: e.g. another build's directory). */
export async function startCallRig(launch: LaunchChromiumOptions = {}): Promise<CallRig> {
  const [gateway, pages] = await Promise.all([startPushgateway({ adminApi: true }), startCallPageServer()]);
  return { gateway, pages, browser: await launchChromium(launch) };
}

/** Stops whatever of the rig was started (browser first, so nothing pushes into a stopped gateway). */
export async function stopCallRig(rig: Partial<CallRig>): Promise<void> {
  await rig.browser?.close();
  await rig.pages?.close();
  await rig.gateway?.stop();
}
