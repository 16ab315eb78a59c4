import type { FirefoxHarness } from './firefox';
import type { Health } from '../../../utils/messaging/health';

let messageId = 1;

/**
 * Sends one typed message to the Firefox background from an extension page, as the popup and
 * options do (BiDi cannot reach the background itself): Firefox's counterpart of exporter-control's askBackground.
 */
export async function askFirefoxBackground<T>(firefox: FirefoxHarness, type: string, data?: unknown): Promise<T> {
  const answer = await firefox.evalInExtension(
    ([messageType, payload, id]: readonly [string, unknown, number]) =>
      (globalThis as unknown as { browser: { runtime: { sendMessage(message: unknown): Promise<{ res?: unknown; err?: unknown }> } } }).browser.runtime.sendMessage(
        { id, type: messageType, data: payload, timestamp: Date.now() },
      ),
    [type, data, messageId++] as const,
  );
  if (!answer || answer.err) throw new Error(`background answered ${type} with ${JSON.stringify(answer?.err)}`);
  return answer.res as T;
}

/** The Firefox background's health. */
export function firefoxHealth(firefox: FirefoxHarness): Promise<Health> {
  return askFirefoxBackground<Health>(firefox, 'getHealth');
}
