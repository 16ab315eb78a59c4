import type { HookConfig } from '../messaging/hook-config';
import type { ConnectionState, EndReason, HookReport, StatsReport } from './report-schema';
import type { NativePeerConnectionApi } from './constructor-wrapper';
import { createDropCounter } from '../resilience/drop-counter';
import { HOOK_LIMITS } from './hook-limits';
import { CONNECTION_STATES } from './connection-states';
import { shapeStatsReport, type StatsReportLike } from './stats-shaper';

/** What the poller needs from its surroundings; injected so tests can drive it. */
export interface ConnectionPollerDeps {
  native: NativePeerConnectionApi;
  /** Sends one batch to the relay; settles when the relay answers (never, if it is gone). */
  send(batch: HookReport[]): Promise<unknown>;
  setInterval(handler: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
  now(): number;
}

/** Tracks the page's connections and polls them while capture is enabled. */
export interface ConnectionPoller {
  /** A connection the page just created. */
  track(pc: RTCPeerConnection): void;
  /** The page called close() on a connection. */
  closed(pc: RTCPeerConnection): void;
  /** A (validated) config from the relay; also proves the relay is listening. */
  configure(config: HookConfig): void;
  /** The page is going away: ends every connection and sends their `ended` at once. */
  endAll(reason: 'pagehide'): void;
  /**
   * The relay stopped the hook: sends `ended` (stopped) for every reported connection and polls
   * no more until the next config. Connections stay tracked under new ids, so a relay started
   * later (extension update) picks them up as new groups.
   */
  suspend(): void;
  /** A newer hook took over this frame: ends everything and never tracks or polls again. */
  retire(): void;
  /** Drops by reason (failed getStats, caps, unanswered batches...). */
  drops(): Record<string, number>;
  /** Connections tracked now (live, not ended). */
  size(): number;
}

interface Entry {
  id: string;
  ref: WeakRef<RTCPeerConnection>;
  seq: number;
  /** Whether a stats report went out: only then does the background know it, so only then is `ended` sent. */
  reported: boolean;
  ended: boolean;
  /** When the connection was first seen failed/disconnected in a row. */
  stuckSince: number | undefined;
  /** A getStats() of this connection has not settled yet; it is not polled again until it does. */
  inFlight: boolean;
}

const KNOWN_STATES: ReadonlySet<string> = new Set<ConnectionState>(CONNECTION_STATES);

/**
 * Creates the poller: one interval per frame, running only while capture is enabled and there
 * is something to poll or report. Each tick polls every live connection (up to
 * `maxConnections`), ends closed ones and ones stuck in failed/disconnected past the timeout,
 * and sends one batch. Connections are held through WeakRefs, so a connection the page drops
 * without close() is released and reported `collected`.
 */
export function createConnectionPoller(deps: ConnectionPollerDeps): ConnectionPoller {
  const drops = createDropCounter();
  const entries = new Set<Entry>();
  const byConnection = new WeakMap<RTCPeerConnection, Entry>();
  // Holds only the entry, which holds the connection weakly: nothing here keeps a connection alive.
  const collected = new FinalizationRegistry<Entry>((entry) => {
    end(entry, 'collected');
    updateTimer();
  });
  // Random per hook instance: a re-injected hook (extension update) never reuses an old id.
  const idPrefix = `${Math.random().toString(36).slice(2, 10)}-`;
  let nextId = 0;
  let pendingEnded: HookReport[] = [];
  let config: HookConfig | null = null;
  let wanted: ReadonlySet<string> = new Set();
  let timer: unknown;
  let timerMs = 0;
  let unanswered = 0;
  let stopped = false;

  function track(pc: RTCPeerConnection): void {
    if (stopped || byConnection.has(pc)) return;
    if (entries.size >= HOOK_LIMITS.maxTrackedConnections) {
      drops.count('connection-cap');
      return;
    }
    const entry: Entry = {
      id: newId(),
      ref: new WeakRef(pc),
      seq: 0,
      reported: false,
      ended: false,
      stuckSince: undefined,
      inFlight: false,
    };
    entries.add(entry);
    byConnection.set(pc, entry);
    collected.register(pc, entry, entry);
    updateTimer();
  }

  function newId(): string {
    return idPrefix + (nextId++).toString(36);
  }

  function end(entry: Entry, reason: EndReason): void {
    if (entry.ended) return;
    entry.ended = true;
    entries.delete(entry);
    collected.unregister(entry);
    queueEnded(entry, reason);
  }

  function queueEnded(entry: Entry, reason: EndReason): void {
    if (!entry.reported) return;
    if (pendingEnded.length >= HOOK_LIMITS.maxTrackedConnections) {
      drops.count('ended-queue-full');
      return;
    }
    pendingEnded.push({ event: 'ended', pcId: entry.id, seq: entry.seq++, reason });
  }

  function flushEnded(): void {
    const batch = pendingEnded;
    pendingEnded = [];
    if (batch.length > 0) send(batch);
  }

  function send(batch: HookReport[]): void {
    for (let start = 0; start < batch.length; start += HOOK_LIMITS.maxReportsPerBatch) {
      unanswered++;
      const settle = () => {
        unanswered = Math.max(0, unanswered - 1);
      };
      deps.send(batch.slice(start, start + HOOK_LIMITS.maxReportsPerBatch)).then(settle, settle);
    }
  }

  function updateTimer(): void {
    const wantMs = !stopped && config?.enabled && (entries.size > 0 || pendingEnded.length > 0) ? config.intervalMs : 0;
    if (timer !== undefined && timerMs === wantMs) return;
    if (timer !== undefined) deps.clearInterval(timer);
    timer = undefined;
    timerMs = wantMs;
    if (wantMs > 0) timer = deps.setInterval(() => void tick(), wantMs);
  }

  async function tick(): Promise<void> {
    const current = config;
    if (stopped || !current?.enabled) return;
    if (unanswered >= HOOK_LIMITS.maxUnansweredBatches) {
      // Nobody reads the batches (relay gone without hookStop): stop calling getStats() until it answers.
      drops.count('relay-unanswered');
      return;
    }
    const now = deps.now();
    const polls: Promise<StatsReport | null>[] = [];
    let polled = 0;
    for (const entry of entries) {
      const pc = entry.ref.deref();
      if (!pc) {
        end(entry, 'collected');
        continue;
      }
      const state = deps.native.readState(pc);
      if (state === 'closed') {
        end(entry, 'closed');
        continue;
      }
      if (state === 'failed' || state === 'disconnected') {
        entry.stuckSince ??= now;
        if (now - entry.stuckSince >= current.failedConnectionTimeoutMs) {
          end(entry, 'failed-timeout');
          continue;
        }
      } else {
        entry.stuckSince = undefined;
      }
      if (entry.inFlight) {
        drops.count('stats-pending');
        continue;
      }
      if (polled >= current.maxConnections) {
        drops.count('connection-limit');
        continue;
      }
      polled++;
      polls.push(poll(entry, pc, current));
    }
    const results = await Promise.all(polls);
    const batch = pendingEnded;
    pendingEnded = [];
    for (const report of results) if (report) batch.push(report);
    if (batch.length > 0) send(batch);
    updateTimer();
  }

  async function poll(entry: Entry, pc: RTCPeerConnection, current: HookConfig): Promise<StatsReport | null> {
    entry.inFlight = true;
    const id = entry.id;
    try {
      const report = (await deps.native.getStats(pc)) as StatsReportLike;
      const shaped = shapeStatsReport(report, wanted, current.maxStatsPerReport);
      if (shaped.overCap > 0) drops.count('stats-over-cap', shaped.overCap);
      if (shaped.malformed > 0) drops.count('stats-malformed', shaped.malformed);
      // Ended or suspended while getStats() ran: a late snapshot would revive it.
      if (entry.ended || entry.id !== id) return null;
      const state = deps.native.readState(pc);
      entry.reported = true;
      return {
        event: 'stats',
        pcId: entry.id,
        seq: entry.seq++,
        state: state !== undefined && KNOWN_STATES.has(state) ? (state as ConnectionState) : 'new',
        stats: shaped.stats,
      };
    } catch {
      drops.count('get-stats-failed');
      return null;
    } finally {
      entry.inFlight = false;
    }
  }

  return {
    track,
    closed(pc) {
      const entry = byConnection.get(pc);
      if (!entry) return;
      end(entry, 'closed');
      updateTimer();
    },
    configure(next) {
      if (stopped) return;
      config = next;
      wanted = new Set(next.statsTypes);
      // A config comes from a live relay: batches left unanswered went to one that is gone.
      unanswered = 0;
      updateTimer();
    },
    endAll(reason) {
      for (const entry of entries) end(entry, reason);
      flushEnded();
      updateTimer();
    },
    suspend() {
      for (const entry of entries) {
        queueEnded(entry, 'stopped');
        entry.id = newId();
        entry.seq = 0;
        entry.reported = false;
        entry.stuckSince = undefined;
      }
      config = null;
      flushEnded();
      updateTimer();
    },
    retire() {
      for (const entry of entries) end(entry, 'stopped');
      stopped = true;
      config = null;
      flushEnded();
      updateTimer();
    },
    drops: () => drops.snapshot(),
    size: () => entries.size,
  };
}
