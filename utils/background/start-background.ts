import { browser } from 'wxt/browser';
import { onMessage } from '../messaging/extension-protocol';
import { createLifecycle } from '../lifecycle/lifecycle-manager';
import { createExporterService } from './exporter-service';
import { uiOnly } from './ui-sender-guard';
import { createReportPortServer, type PortLike } from '../messaging/report-port';
import type { SenderLike } from './inbound-reports';
import type { DocumentCommit } from './group-lifecycle';

/** Housekeeping period; Chrome fires alarms at most every 30 s. */
const HOUSEKEEPING_MINUTES = 0.5;

/**
 * Wires the background: every listener is registered synchronously, before anything is
 * awaited, so an event that wakes the service worker is never missed; handlers then wait for
 * initialisation inside the service.
 */
export function startBackground(): void {
  const service = createExporterService({ firefox: import.meta.env.FIREFOX });
  const lifecycle = createLifecycle({ onError: (error, where) => console.warn(`[exporter] ${where}`, error) });

  // Hook reports arrive on each frame's long-lived port (report-port.ts), with the same checks as a message.
  const reportPorts = createReportPortServer({
    onBatch: (batch, sender) => {
      service.handleReports(batch, sender as SenderLike).catch((error: unknown) => console.warn('[exporter] report port', error));
    },
    onRefused: (reason) => service.countDrop(reason),
  });
  lifecycle.onEvent(browser.runtime.onConnect, (port: PortLike) => reportPorts.accept(port));
  lifecycle.add(onMessage('relayDrops', ({ data, sender }) => service.relayDrops(data, sender)));
  lifecycle.add(onMessage('getHookConfig', ({ sender }) => service.hookConfig(sender)));
  // UI-only messages: a content script (which a page can drive) must not read health, test
  // gateways or switch capture, so anything but an extension page gets an error.
  const base = () => browser.runtime.getURL('/');
  lifecycle.add(onMessage('getHealth', uiOnly('getHealth', base, () => service.health())));
  lifecycle.add(onMessage('getTabStatus', uiOnly('getTabStatus', base, ({ data }) => service.tabStatus(data.tabId))));
  lifecycle.add(onMessage('testConnection', uiOnly('testConnection', base, ({ data }) => service.testConnection(data))));
  lifecycle.add(
    onMessage('testRemoteWrite', uiOnly('testRemoteWrite', base, ({ data }) => service.testRemoteWrite(data.remoteWrite, data.job))),
  );
  lifecycle.add(
    onMessage('setOriginCapture', uiOnly('setOriginCapture', base, ({ data }) => service.setOriginCapture(data.origin, data.enabled))),
  );
  lifecycle.onEvent(browser.tabs.onRemoved, (tabId: number) => service.tabClosed(tabId));
  // A committed document (navigation, reload; not a same-document pushState) ends the frame's
  // connections at once. webNavigation is the one event that tells a new document from a
  // history change, names the frame, and wakes a stopped worker.
  lifecycle.onEvent(browser.webNavigation.onCommitted, (details: DocumentCommit) => service.documentCommitted(details));
  lifecycle.onEvent(browser.runtime.onInstalled, () => void service.installed());
  // A new install has no gateway yet: the options page is where the user (or admin) sets one.
  lifecycle.onEvent(browser.runtime.onInstalled, (details: { reason: string }) => {
    if (details.reason === 'install') void browser.runtime.openOptionsPage().catch(() => undefined);
  });
  lifecycle.onEvent(browser.runtime.onStartup, () => void service.syncRegistrations());
  lifecycle.onEvent(browser.permissions.onAdded, () => service.permissionsChanged());
  lifecycle.onEvent(browser.permissions.onRemoved, () => service.permissionsChanged());
  lifecycle.alarm('housekeeping', { periodInMinutes: HOUSEKEEPING_MINUTES }, () => service.housekeeping());

  service.start();
}
