import type { ChromiumHarness } from './chromium';
import { waitFor } from './free-port';

/**
 * Stops the extension's service worker through CDP (`ServiceWorker.stopAllWorkers`) and waits
 * until DevTools reported it `stopped` at least once. Unlike polling the current status, this
 * also sees a stop that was followed at once by a restart, which is what happens while a page
 * keeps sending reports every interval: the next message wakes the worker again.
 */
export async function stopWorkerOnce(browser: ChromiumHarness, timeoutMs = 10_000): Promise<void> {
  const page = await browser.context.newPage();
  try {
    const session = await browser.context.newCDPSession(page);
    const prefix = browser.extensionUrl('');
    let stopRequested = false;
    let stopped = false;
    session.on('ServiceWorker.workerVersionUpdated', (event) => {
      for (const version of event.versions) {
        if (stopRequested && version.scriptURL.startsWith(prefix) && version.runningStatus === 'stopped') stopped = true;
      }
    });
    await session.send('ServiceWorker.enable');
    stopRequested = true;
    await session.send('ServiceWorker.stopAllWorkers');
    await waitFor(() => stopped, { timeoutMs, intervalMs: 20, what: 'the service worker reported stopped' });
    await session.detach().catch(() => {});
  } finally {
    await page.close().catch(() => {});
  }
}
