import type { TrackedConnection } from '../../../utils/integrity/connection-tracker';

/** A valid stored tracker entry: connected on meet in tab 1, started at 1,000 and last reported at 2,000. */
export function trackedConnection(groupId: string, overrides: Partial<TrackedConnection> = {}): TrackedConnection {
  return {
    groupId,
    tabId: 1,
    frameId: 0,
    pcId: `pc-${groupId}`,
    origin: 'https://meet.google.com',
    platform: 'meet',
    state: 'connected',
    startedAt: 1_000,
    lastReportAt: 2_000,
    ...overrides,
  };
}
