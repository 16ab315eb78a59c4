import type { ChromiumHarness } from './chromium';

/**
 * Stops the extension's service worker once (CDP `ServiceWorker.stopAllWorkers`) and waits until
 * DevTools reported it stopped, even if a page's next report starts it again at once.
 */
export async function stopWorkerOnce(browser: ChromiumHarness): Promise<void> {
  await browser.stopServiceWorker();
}
