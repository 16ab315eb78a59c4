import type { ExportSink } from './export-sink';
import type { GroupingKey } from './pushgateway-client';

/** What a live group wants pushed now. */
export interface PlannedPush {
  groupingKey: GroupingKey;
  body: string;
}

export interface PushSchedulerOptions {
  /** The push interval (setting `pushIntervalMs`), read at every tick so a change applies at the next one. */
  pushIntervalMs: () => number;
  /**
   * Takes and encodes the group's window since its previous push; null when there is nothing to
   * push (no new snapshot since then, or the group is gone).
   */
  collect(groupId: string, at: number): PlannedPush | null;
  /** The Pushgateway outbox or the remote-write sample buffer, as the settings choose. */
  sink: Pick<ExportSink, 'mode' | 'put' | 'remove'>;
  /** Called after the sink changed, so delivery runs. */
  onOutboxChanged(): void;
  now?: () => number;
}

/**
 * Identical bodies skipped in a row before the group is pushed again anyway. The gateway's
 * `push_time_seconds` is how dashboards and alert rules tell a live group from one a dead
 * browser left behind (prometheus/recording-rules.yml: pushed within 3 push intervals), so a
 * group that says the same thing for long still refreshes every third interval.
 */
export const MAX_IDENTICAL_SKIPS = 2;

export interface PushSchedulerStats {
  /** Pushes put in the outbox. */
  pushed: number;
  /** Pushes skipped because the body equalled the group's previous one. */
  skippedIdentical: number;
  ticks: number;
}

/**
 * Push cadence, apart from polling (issue 9 item 4). Reports arrive at the poll interval and
 * feed each connection's quality window; every push interval one tick takes every live group's
 * window and puts it in the outbox. A new group's first snapshot and every delete go at once,
 * so a call shows up and disappears without waiting for a tick. A body equal to the group's
 * previous one is not put again (up to MAX_IDENTICAL_SKIPS times in a row): the outbox keeps the
 * latest body of a group until it is delivered, so the previous body put is the one the gateway
 * has (or will have). A `samples` sink (remote-write) skips nothing, since each window is a point
 * of the receiver's timeline, and an ended group gets its final window before it is dropped.
 */
export function createPushScheduler(options: PushSchedulerOptions) {
  const now = options.now ?? Date.now;
  /** Live groups -> last body put ('' until the first) and identical bodies skipped since. Bounded by the callers' connection caps. */
  const live = new Map<string, { body: string; skipped: number }>();
  const counts: PushSchedulerStats = { pushed: 0, skippedIdentical: 0, ticks: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  function pushOne(groupId: string, at: number): boolean {
    const planned = options.collect(groupId, at);
    if (!planned || planned.body === '') return false;
    const last = live.get(groupId);
    const skips = options.sink.mode() === 'snapshots';
    if (skips && last && last.body === planned.body && last.skipped < MAX_IDENTICAL_SKIPS) {
      last.skipped++;
      counts.skippedIdentical++;
      return false;
    }
    // A samples sink keeps no body: switching back to the Pushgateway pushes every group afresh.
    live.set(groupId, { body: skips ? planned.body : '', skipped: 0 });
    options.sink.put(groupId, planned.groupingKey, planned.body, at);
    counts.pushed++;
    return true;
  }

  function arm(): void {
    if (!running) return;
    // Read each time: a changed push interval applies from the next tick.
    timer = setTimeout(tick, Math.max(250, options.pushIntervalMs()));
  }

  function tick(): void {
    timer = undefined;
    counts.ticks++;
    const at = now();
    let changed = false;
    for (const groupId of [...live.keys()]) changed = pushOne(groupId, at) || changed;
    if (changed) options.onOutboxChanged();
    arm();
  }

  return {
    /** Starts the tick timer (idempotent). */
    start(): void {
      if (running) return;
      running = true;
      arm();
    },
    /** Stops the timer; the groups stay known. */
    stop(): void {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    /**
     * A group to push every interval. `pushNow`: a new connection, whose first snapshot goes at
     * once; false for a group this worker learns about again after a restart (its last push is
     * in the gateway already, the next tick refreshes it).
     */
    add(groupId: string, pushNow: boolean): void {
      if (!live.has(groupId)) live.set(groupId, { body: '', skipped: 0 });
      if (pushNow && pushOne(groupId, now())) options.onOutboxChanged();
    },
    has: (groupId: string) => live.has(groupId),
    /**
     * The group's connection ended: a samples sink gets its final window first; the Pushgateway
     * group's delete goes at once; it is pushed no more. Call before the group's export state is
     * forgotten (the final window is encoded from it).
     */
    remove(groupId: string, groupingKey: GroupingKey): void {
      if (live.has(groupId) && options.sink.mode() === 'samples') pushOne(groupId, now());
      live.delete(groupId);
      options.sink.remove(groupId, groupingKey);
      options.onOutboxChanged();
    },
    /** Forgets the group without deleting it (it was never pushed). */
    forget(groupId: string): void {
      live.delete(groupId);
    },
    size: () => live.size,
    stats: (): PushSchedulerStats => ({ ...counts }),
  };
}
export type PushScheduler = ReturnType<typeof createPushScheduler>;
