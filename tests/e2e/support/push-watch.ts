import type { ImpairmentRelay, ImpairmentStats, SsrcCounts } from './impairment-relay';
import { pushTime } from './exporter-control';
import type { GatewayGroup, Pushgateway } from './pushgateway';

/** One push of a group as the gateway held it, and what the relay had counted when it was seen. */
export interface ObservedPush {
  /** The group's `peer_connection_id`. */
  groupId: string;
  /** The gateway's `push_time_seconds` of this push. */
  pushTime: number;
  group: GatewayGroup;
  /**
   * The relay's RTP counts per SSRC at the push's own time (the gateway's `push_time_seconds`: the
   * relay is read every `relayEveryMs` and the last reading at or before the push is taken, so a
   * slow read of the gateway does not shift the window). Empty without a relay.
   */
  relay: Map<number, SsrcCounts>;
  /** The relay's totals at the same moment (undefined without a relay). */
  relayTotals?: ImpairmentStats;
}

export interface PushWatch {
  /** Every push seen so far, oldest first (at most `maxPushes`: the oldest are let go). */
  pushes(): ObservedPush[];
  /** The pushes of one group, oldest first. */
  pushesOf(groupId: string): ObservedPush[];
  stop(): Promise<void>;
}

export interface PushWatchOptions {
  /** Which connection groups to watch. */
  select(group: GatewayGroup): boolean;
  /** Counts RTP per SSRC at each push, so a window can be held against what the relay did in it. */
  relay?: ImpairmentRelay;
  /** How often the gateway is read, ms. Default 200: far below a push interval, so no push is missed. */
  intervalMs?: number;
  /** Most pushes kept. Default 500. */
  maxPushes?: number;
  /** How often the relay's counts are read, ms. Default 100. */
  relayEveryMs?: number;
}

interface RelayReading {
  at: number;
  relay: Map<number, SsrcCounts>;
  totals: ImpairmentStats;
}

/** Relay readings kept: two minutes at the default 100 ms, more than a few push intervals. */
const MAX_READINGS = 1_200;

/**
 * Reads the gateway every `intervalMs` and keeps each new push of the selected groups (a new
 * `push_time_seconds`) with the relay's counts at the push's time. Each push of the quality profile
 * carries the window since the group's previous push, so the relay's counts between two
 * consecutive pushes are what it did to the packets of that window (the window's ends are the
 * page's last poll before each push: at most one poll interval, plus the relay's delay, earlier).
 */
export function watchPushes(gateway: Pushgateway, options: PushWatchOptions): PushWatch {
  const intervalMs = options.intervalMs ?? 200;
  const maxPushes = options.maxPushes ?? 500;
  const seen: ObservedPush[] = [];
  const lastPush = new Map<string, number>();
  let stopped = false;
  let lastError: unknown;
  const readings: RelayReading[] = [];
  const readRelay = () => {
    if (!options.relay) return;
    readings.push({ at: Date.now(), relay: options.relay.rtpBySsrc(), totals: options.relay.stats() });
    if (readings.length > MAX_READINGS) readings.shift();
  };
  readRelay();
  const relayTimer = setInterval(readRelay, options.relayEveryMs ?? 100);

  /** The last relay reading at or before `atMs` (the first one if none is that old). */
  function relayAt(atMs: number): RelayReading | undefined {
    let found = readings[0];
    for (const reading of readings) {
      if (reading.at > atMs) break;
      found = reading;
    }
    return found;
  }

  async function readOnce(): Promise<void> {
    const groups = await gateway.metrics();
    for (const group of groups) {
      const groupId = group.labels.peer_connection_id;
      if (groupId === undefined || !options.select(group)) continue;
      const time = pushTime(group);
      if (lastPush.get(groupId) === time) continue;
      lastPush.set(groupId, time);
      const reading = relayAt(time * 1000);
      seen.push({ groupId, pushTime: time, group, relay: reading?.relay ?? new Map(), relayTotals: reading?.totals });
      if (seen.length > maxPushes) seen.shift();
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await readOnce().catch((error: unknown) => {
        lastError = error;
      });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();

  return {
    pushes: () => [...seen],
    pushesOf: (groupId) => seen.filter((push) => push.groupId === groupId),
    async stop() {
      stopped = true;
      clearInterval(relayTimer);
      await loop;
      if (seen.length === 0 && lastError) throw lastError;
    },
  };
}
