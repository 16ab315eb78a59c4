import type { Health } from '../messaging/health';
import { formatAgo } from './format';

export interface Notice {
  level: 'error' | 'warning' | 'info';
  text: string;
}

function countsText(counts: Record<string, number>, limit: number): string {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, limit).map(([reason, n]) => `${reason} ${n}`);
  const rest = entries.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

/**
 * What the user should know about the background's state, worst first: degraded mode and
 * its reasons, paused pushing, settings storage trouble, repairs and drops.
 */
export function healthNotices(health: Health, now: number): Notice[] {
  const notices: Notice[] = [];
  if (health.status === 'degraded') {
    if (health.degradedReasons.length === 0) notices.push({ level: 'warning', text: 'Running in degraded mode.' });
    for (const reason of health.degradedReasons) notices.push({ level: 'warning', text: `Degraded: ${reason}` });
  }
  for (const warning of health.warnings ?? []) notices.push({ level: 'warning', text: warning });
  const { delivery, storage, integrity } = health;
  if (!delivery.configured) {
    notices.push({ level: 'info', text: 'No gateway is set: nothing is pushed. Set one under Gateway in the options.' });
  } else if (delivery.breaker === 'open') {
    notices.push({
      level: 'error',
      text: `Pushing is paused after repeated failures (since ${formatAgo(delivery.breakerSince, now)}); it retries by itself.`,
    });
  } else if (delivery.breaker === 'half-open') {
    notices.push({ level: 'warning', text: 'Trying the gateway again after failures.' });
  } else if (delivery.breaker === 'isolated') {
    notices.push({ level: 'error', text: 'Pushing is stopped (breaker isolated).' });
  }
  if (delivery.rejectedGroups > 0) {
    notices.push({
      level: 'warning',
      text: `The gateway rejected ${delivery.rejectedGroups} group(s) (4xx); they are retried with their next snapshot.`,
    });
  }
  if (storage.tier === 'memory') {
    notices.push({
      level: 'error',
      text: `Settings cannot be stored${storage.lastError ? ` (${storage.lastError})` : ''}: changes last only until the browser restarts.`,
    });
  } else if (storage.tier === 'local') {
    notices.push({ level: 'info', text: 'Sync storage is unavailable: settings are kept on this device only.' });
  }
  if (integrity.invalidSettingsFields.length > 0) {
    notices.push({
      level: 'warning',
      text: `Invalid stored settings were reset to their defaults: ${integrity.invalidSettingsFields.join(', ')}.`,
    });
  }
  const repaired = countsText(integrity.repaired, 4);
  if (repaired) notices.push({ level: 'info', text: `Integrity checks repaired: ${repaired}.` });
  const dropped = countsText(health.drops, 4);
  if (dropped) notices.push({ level: 'info', text: `Dropped so far: ${dropped}.` });
  return notices;
}
