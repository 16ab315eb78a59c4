import type { HookConfig } from '../messaging/hook-config';
import type { ConnectionState, EndReason, HookReport, StatsReport } from './report-schema';
import type { NativePeerConnectionApi } from './constructor-wrapper';
import { createDropCounter } from '../resilience/drop-counter';
import { HOOK_LIMITS } from './hook-limits';
import { CONNECTION_STATES } from './connection-states';
import { createWantedStatsMemo, shapeStatsReport, type StatsReportLike, type StatsSelection, type WantedStatsMemo } from './stats-shaper';

/** What the poller needs from its surroundings; injected so tests can drive it. */
export interface ConnectionPollerDeps {
  native: NativePeerConnectionApi;
  /**
   * Sends one batch to the relay; false when it could not be sent. The relay acknowledges each
   * batch it received ({@link ConnectionPoller.acknowledged}).
   */
  send(batch: HookReport[]): boolean;
  setInterval(handler: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
  now(): number;
  /** Random number in [0, 1) for connection ids (the page's Math.random, taken at document_start). */
  random(): number;
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
  /** The relay acknowledged one batch. */
  acknowledged(): void;
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
  /** Seen connected, or its stats had RTP streams: a call, which the poll cap serves first. */
  live: boolean;
  /** Ids of its wanted stats, so most polls build only those (stats-shaper.ts). */
  memo: WantedStatsMemo;
}

const RTP_TYPES: ReadonlySet<string> = new Set(['inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'remote-outbound-rtp']);

const KNOWN_STATES: ReadonlySet<string> = new Set<ConnectionState>(CONNECTION_STATES);

/**
 * Creates the poller: one interval per frame, running only while capture is enabled and there
 * is something to poll or report. Each tick ends closed connections and ones stuck in
 * failed/disconnected past the timeout and polls up to `maxConnections` of the rest. Snapshots
 * wait and leave together once per `reportIntervalMs` (each with `heldMs`, how long it waited); a
 * new connection's first snapshot, an `ended` and a full batch leave at once. When the cap bites,
 * connections that carry a call (seen connected, or with RTP stats) are polled before idle ones,
 * then connecting ones, then never-connected ones: a page that leaked hundreds of unused
 * connections before its call still gets its call exported. Connections are held through
 * WeakRefs, so a connection the page drops without close() is released and reported `collected`.
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
  const idPrefix = `${deps.random().toString(36).slice(2, 10)}-`;
  let nextId = 0;
  let pendingEnded: HookReport[] = [];
  // Snapshots waiting for the next send (config.reportIntervalMs), with when each was taken; every one leaves, in order.
  let held: { report: StatsReport; at: number }[] = [];
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let config: HookConfig | null = null;
  let selection: StatsSelection = { wanted: new Set(), maxStats: 0 };
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
      live: false,
      memo: createWantedStatsMemo(),
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

  /** Sends the held snapshots and the waiting `ended` reports now (page going away, relay stopped us...). */
  function flushAll(): void {
    const now = deps.now();
    // How long each waited, so the background dates it when it was taken, not when it arrived.
    const batch: HookReport[] = held.map(({ report, at }) => {
      const heldMs = Math.min(HOOK_LIMITS.maxHeldMs, Math.max(0, Math.round(now - at)));
      if (heldMs > 0) report.heldMs = heldMs;
      return report;
    });
    batch.push(...pendingEnded);
    held = [];
    pendingEnded = [];
    if (batch.length > 0) send(batch);
  }

  function send(batch: HookReport[]): void {
    lastSentAt = deps.now();
    for (let start = 0; start < batch.length; start += HOOK_LIMITS.maxReportsPerBatch) {
      const part = batch.slice(start, start + HOOK_LIMITS.maxReportsPerBatch);
      if (deps.send(part)) unanswered++;
      else drops.count('send-failed', part.length);
    }
  }

  function updateTimer(): void {
    const wantMs = !stopped && config?.enabled && (entries.size > 0 || pendingEnded.length > 0 || held.length > 0) ? config.intervalMs : 0;
    if (timer !== undefined && timerMs === wantMs) return;
    if (timer !== undefined) deps.clearInterval(timer);
    timer = undefined;
    timerMs = wantMs;
    if (wantMs > 0) timer = deps.setInterval(() => void tick(), wantMs);
  }

  async function tick(): Promise<void> {
    try {
      await pollAll();
    } catch {
      // A page that broke a built-in the poller relies on: counted, and the relay's heartbeat sees it.
      drops.count('tick-failed');
    }
  }

  async function pollAll(): Promise<void> {
    const current = config;
    if (stopped || !current?.enabled) return;
    if (unanswered >= HOOK_LIMITS.maxUnansweredBatches) {
      // Nobody reads the batches (relay gone without hookStop): stop calling getStats() until it answers.
      drops.count('relay-unanswered');
      return;
    }
    const now = deps.now();
    const ready: [Entry, RTCPeerConnection, number][] = [];
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
      if (state === 'connected') entry.live = true;
      if (entry.inFlight) {
        drops.count('stats-pending');
        continue;
      }
      ready.push([entry, pc, pollRank(entry, state)]);
    }
    // Stable: within a rank, the oldest connection first.
    ready.sort((a, b) => a[2] - b[2]);
    if (ready.length > current.maxConnections) drops.count('connection-limit', ready.length - current.maxConnections);
    // Started together, awaited one by one: no Promise.all, which a page can replace.
    const polls = ready.slice(0, current.maxConnections).map(([entry, pc]) => poll(entry, pc));
    let urgent = pendingEnded.length > 0;
    for (const pending of polls) {
      const polled = await pending;
      if (!polled) continue;
      held.push({ report: polled.report, at: polled.at });
      // A new connection's first snapshot goes at once: its group appears without waiting.
      urgent ||= polled.first;
    }
    // Connections that ended while getStats() ran are in pendingEnded by now; they follow their last snapshots.
    urgent ||= pendingEnded.length > 0;
    const due = deps.now() - lastSentAt >= (current.reportIntervalMs ?? current.intervalMs) - current.intervalMs / 2;
    if (urgent || due || held.length >= HOOK_LIMITS.maxReportsPerBatch) flushAll();
    updateTimer();
  }

  async function poll(entry: Entry, pc: RTCPeerConnection): Promise<{ report: StatsReport; first: boolean; at: number } | null> {
    entry.inFlight = true;
    const id = entry.id;
    try {
      const native = (await deps.native.getStats(pc)) as StatsReportLike;
      const at = deps.now();
      const shaped = shapeStatsReport(native, selection, entry.memo, at);
      if (shaped.overCap > 0) drops.count('stats-over-cap', shaped.overCap);
      if (shaped.malformed > 0) drops.count('stats-malformed', shaped.malformed);
      // Ended or suspended while getStats() ran: a late snapshot would revive it.
      if (entry.ended || entry.id !== id) return null;
      const state = deps.native.readState(pc);
      if (!entry.live && shaped.stats.some((stat) => RTP_TYPES.has(stat.type))) entry.live = true;
      const first = !entry.reported;
      entry.reported = true;
      const report: StatsReport = {
        event: 'stats',
        pcId: entry.id,
        seq: entry.seq++,
        state: state !== undefined && KNOWN_STATES.has(state) ? (state as ConnectionState) : 'new',
        stats: shaped.stats,
      };
      return { report, first, at };
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
      if (!next.enabled && held.length > 0) {
        // Capture was switched off: snapshots taken before must not revive groups the background ends.
        drops.count('held-on-disable', held.length);
        held = [];
      }
      selection = {
        wanted: new Set(next.statsTypes),
        maxStats: next.maxStatsPerReport,
        fields: next.statsFields ? new Map(Object.entries(next.statsFields)) : undefined,
        selectedPairOnly: next.selectedPairOnly === true,
      };
      // Other types or a lower cap: the remembered ids are the old selection's.
      for (const entry of entries) entry.memo = createWantedStatsMemo();
      // A config comes from a live relay: batches left unanswered went to one that is gone.
      unanswered = 0;
      updateTimer();
    },
    endAll(reason) {
      for (const entry of entries) end(entry, reason);
      flushAll();
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
      flushAll();
      updateTimer();
    },
    retire() {
      for (const entry of entries) end(entry, 'stopped');
      stopped = true;
      config = null;
      flushAll();
      updateTimer();
    },
    acknowledged() {
      unanswered = Math.max(0, unanswered - 1);
    },
    drops: () => drops.snapshot(),
    size: () => entries.size,
  };
}

/** Poll order under the cap: 0 a call (seen connected or with RTP), 1 connecting or in trouble, 2 never connected. */
function pollRank(entry: Entry, state: string | undefined): number {
  if (entry.live) return 0;
  return state === 'new' || state === undefined ? 2 : 1;
}
