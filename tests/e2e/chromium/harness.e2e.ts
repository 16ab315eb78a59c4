import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChromiumHarness, type WorkerGlobals } from '../support/chromium';
import { type CallPageServer } from '../support/call-page-server';
import { expectLoopbackCallWithInbound } from '../support/loopback-check';
import { startCallRig, stopCallRig } from '../support/call-rig';
import { type Pushgateway } from '../support/pushgateway';

describe('e2e harness (chromium)', () => {
  let gateway: Pushgateway;
  let pages: CallPageServer;
  let browser: ChromiumHarness;

  beforeAll(async () => {
    ({ gateway, pages, browser } = await startCallRig());
  });

  afterAll(async () => {
    await stopCallRig({ browser, pages, gateway });
  });

  it('starts a pushgateway that accepts a push from node and lists its group', async () => {
    const body = '# TYPE harness_probe gauge\nharness_probe{kind="audio"} 42\n';
    const response = await gateway.push('job/harness/peerConnectionId/pc1', body);
    expect(response.status).toBe(200);

    const groups = await gateway.metrics();
    const group = groups.find((g) => g.labels.peerConnectionId === 'pc1');
    expect(group?.labels.job).toBe('harness');
    expect(group?.families.harness_probe?.metrics[0]?.value).toBe('42');
    expect(await gateway.text()).toContain('harness_probe{instance="",job="harness",kind="audio",peerConnectionId="pc1"} 42');
  });

  it('restarts the pushgateway on the same port with empty state', async () => {
    await gateway.push('job/harness/peerConnectionId/pc2', '# TYPE harness_probe gauge\nharness_probe 1\n');
    const port = gateway.port;
    await gateway.restart();
    expect(gateway.port).toBe(port);
    expect(await gateway.groups()).toEqual([]);
  });

  it('keeps the pushed groups across a clean restart when asked to keep persistence', async () => {
    await gateway.push('job/harness/peerConnectionId/kept', '# TYPE harness_probe gauge\nharness_probe 7\n');
    await gateway.restart({ keepPersistence: true });
    expect(await gateway.groups()).toContainEqual({ job: 'harness', peerConnectionId: 'kept' });
    await gateway.wipe();
    expect(await gateway.groups()).toEqual([]);
  });

  it('launches chromium with the built extension and finds its service worker', async () => {
    expect(browser.extensionId).toMatch(/^[a-p]{32}$/);
    const manifest = await browser.evalInWorker(() => (globalThis as unknown as WorkerGlobals).chrome.runtime.getManifest());
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.name).toBe('WebRTC Stats Exporter');
  });

  it('stops the service worker, loses its memory and starts it again', async () => {
    await browser.evalInWorker(() => {
      (globalThis as { e2eMarker?: string }).e2eMarker = 'before-stop';
    });
    await browser.stopServiceWorker();
    expect(await browser.serviceWorkerStatus()).toBe('stopped');
    await browser.startServiceWorker();
    expect(await browser.evalInWorker(() => (globalThis as { e2eMarker?: string }).e2eMarker ?? 'fresh')).toBe('fresh');
  });

  it('reads the service worker heap after a garbage collection', async () => {
    const heap = await browser.workerHeap();
    expect(heap.usedSize).toBeGreaterThan(0);
    expect(heap.totalSize).toBeGreaterThanOrEqual(heap.usedSize);
  });

  it('connects a loopback call whose getStats shows inbound-rtp', async () => {
    await expectLoopbackCallWithInbound(await browser.context.newPage(), pages.pageUrl('call', { id: 'meeting-123', secret: 's3cr3t' }));
  });

  it('serves the page channel namespace into the hostile page', async () => {
    const page = await browser.context.newPage();
    await page.goto(pages.pageUrl('abuse'));
    expect(await page.evaluate(() => window.abuse.NAMESPACE)).toBe('webrtc-stats-exporter/page');
    expect(await page.evaluate(() => window.abuse.malformed())).toBeGreaterThan(10);
    await page.close();
  });
});
