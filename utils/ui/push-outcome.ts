import type { DeliveryHealth } from '../messaging/health';

export type PushOutcome = 'none' | 'succeeded' | 'failed' | 'sending';

/**
 * How the newest push went. The attempt time is stamped when a push starts, so a push still on
 * the wire has an attempt newer than both its success and its error: that is "sending", not a
 * failure. Otherwise the newer of the last success and the last error decides.
 */
export function lastPushOutcome(
  delivery: Pick<DeliveryHealth, 'lastAttemptAt' | 'lastSuccessAt' | 'lastError'>,
): PushOutcome {
  if (delivery.lastAttemptAt === null) return 'none';
  const success = delivery.lastSuccessAt ?? -Infinity;
  const failure = delivery.lastError?.at ?? -Infinity;
  if (Math.max(success, failure) < delivery.lastAttemptAt) return 'sending';
  return success >= failure ? 'succeeded' : 'failed';
}
