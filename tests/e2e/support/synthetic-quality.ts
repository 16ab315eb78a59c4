/**
 * Hand-written quality-profile bodies (docs/metrics.md), as the extension pushes them: one group per
 * connection and one per browser. They let the dashboards and alert rules be proven against a real
 * Pushgateway and Prometheus with values chosen on purpose (a clean call, a bad call), independent
 * of the encoder. Names, types and labels follow the contract; change docs/metrics.md first.
 */

export type Kind = 'audio' | 'video';
export type Direction = 'inbound' | 'outbound';
export type QualityClass = 'good' | 'fair' | 'poor';

/** One kind+direction of a connection over one push window (base units). */
export interface SyntheticStream {
  kind: Kind;
  direction: Direction;
  bitrateBps: number;
  packetRate: number;
  lossRatio: number;
  jitterSeconds: number;
  /** Audio only. */
  mos?: number;
  /** Audio inbound only. */
  concealmentRatio?: number;
  /** Video only. */
  framesPerSecond?: number;
  frameHeight?: number;
  /** Video inbound only. */
  frozenRatio?: number;
  freezesTotal?: number;
  /** Video outbound only. */
  qualityLimitation?: 'none' | 'cpu' | 'bandwidth' | 'other';
}

/** One connection's group: its grouping key and its last window. */
export interface SyntheticConnection {
  job: string;
  agentId: string;
  platform: string;
  origin: string;
  callId: string;
  peerConnectionId: string;
  rttSeconds: number;
  qualityClass: QualityClass;
  reasons: string[];
  startedAtSeconds: number;
  streams: SyntheticStream[];
}

/** One browser's own group. */
export interface SyntheticExporter {
  job: string;
  agentId: string;
  instance: string;
  pushes: number;
  pushFailures: number;
  deletes: number;
  reportsAccepted: number;
  drops: Record<string, number>;
  breakerState: 0 | 1 | 2;
  outboxGroups: number;
  outboxBytes: number;
  outboxMaxGroups: number;
  pendingDeletes: number;
  connections: number;
  lastSuccessSeconds: number;
  pushIntervalSeconds: number;
  degraded: boolean;
  started: Record<string, number>;
  /** Ended connections by `platform` then final class. */
  ended: Record<string, Partial<Record<QualityClass, number>>>;
}

type Labels = Array<[string, string]>;
interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: Array<{ labels: Labels; value: number }>;
}

function createBody() {
  const families = new Map<string, Family>();
  return {
    add(name: string, type: Family['type'], help: string, labels: Labels, value: number | undefined) {
      if (value === undefined) return;
      const family = families.get(name) ?? { name, type, help, samples: [] };
      families.set(name, family);
      family.samples.push({ labels, value });
    },
    text(): string {
      const lines: string[] = [];
      for (const family of families.values()) {
        lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
        for (const { labels, value } of family.samples) {
          const rendered = labels.length ? `{${labels.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
          lines.push(`${family.name}${rendered} ${value}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
  };
}

/** `job/<job>/agent_id/<agent>/platform/<p>/origin@base64/<b64url>/call_id/<c>/peer_connection_id/<id>` */
export function connectionGroupPath(c: SyntheticConnection): string {
  const origin = Buffer.from(c.origin).toString('base64url');
  return `job/${c.job}/agent_id/${c.agentId}/platform/${c.platform}/origin@base64/${origin}/call_id/${c.callId}/peer_connection_id/${c.peerConnectionId}`;
}

/** `job/<job>/exporter_instance/<id>/agent_id/<agent>` */
export function exporterGroupPath(e: SyntheticExporter): string {
  return `job/${e.job}/exporter_instance/${e.instance}/agent_id/${e.agentId}`;
}

/** The exposition text of one connection's group (grouping labels come from the path). */
export function connectionBody(c: SyntheticConnection): string {
  const body = createBody();
  for (const s of c.streams) {
    const l: Labels = [['kind', s.kind], ['direction', s.direction]];
    body.add('webrtc_bitrate_bytes_per_second', 'gauge', 'Payload bytes per second in the last push window.', l, s.bitrateBps / 8);
    body.add('webrtc_packet_rate_packets_per_second', 'gauge', 'Packets per second in the last push window.', l, s.packetRate);
    body.add('webrtc_packet_loss_ratio', 'gauge', 'Lost share of packets in the last push window.', l, s.lossRatio);
    body.add('webrtc_jitter_seconds', 'gauge', 'Highest jitter in the last push window.', l, s.jitterSeconds);
    body.add('webrtc_mos', 'gauge', 'Estimated MOS (E-model) of the last push window.', l, s.mos);
    body.add('webrtc_audio_concealment_ratio', 'gauge', 'Concealed share of audio samples in the last push window.', l, s.concealmentRatio);
    body.add('webrtc_video_frames_per_second', 'gauge', 'Video frames per second in the last push window.', l, s.framesPerSecond);
    body.add('webrtc_video_frame_height_pixels', 'gauge', 'Last video frame height in the window.', l, s.frameHeight);
    body.add('webrtc_video_frozen_ratio', 'gauge', 'Share of the last push window the video was frozen.', l, s.frozenRatio);
    body.add('webrtc_video_freezes_total', 'counter', 'Video freezes since the stream started.', l, s.freezesTotal);
    if (s.qualityLimitation) {
      body.add('webrtc_video_quality_limitation_info', 'gauge', 'Why the encoder limits quality.', [...l, ['reason', s.qualityLimitation]], 1);
    }
  }
  body.add('webrtc_round_trip_time_seconds', 'gauge', 'Highest round-trip time in the last push window.', [], c.rttSeconds);
  body.add('webrtc_quality_class', 'gauge', 'Quality class of the last push window.', [['class', c.qualityClass]], 1);
  for (const reason of c.reasons) body.add('webrtc_quality_reason', 'gauge', 'Why the last push window was not good.', [['reason', reason]], 1);
  body.add('webrtc_connection_start_timestamp_seconds', 'gauge', 'When the connection was first seen.', [], c.startedAtSeconds);
  return body.text();
}

/** The exposition text of one browser's own group. */
export function exporterBody(e: SyntheticExporter): string {
  const body = createBody();
  const x = 'webrtc_exporter_';
  for (const [platform, count] of Object.entries(e.started)) {
    body.add('webrtc_connections_started_total', 'counter', 'Connections that became exported.', [['platform', platform]], count);
  }
  for (const [platform, byClass] of Object.entries(e.ended)) {
    for (const [qualityClass, count] of Object.entries(byClass)) {
      body.add('webrtc_connections_ended_total', 'counter', 'Ended connections by final class.', [['platform', platform], ['quality_class', qualityClass]], count);
    }
  }
  body.add(`${x}pushes_total`, 'counter', 'Successful pushes.', [], e.pushes);
  body.add(`${x}push_failures_total`, 'counter', 'Failed pushes.', [], e.pushFailures);
  body.add(`${x}deletes_total`, 'counter', 'Groups deleted.', [], e.deletes);
  body.add(`${x}reports_accepted_total`, 'counter', 'Stats reports accepted from pages.', [], e.reportsAccepted);
  for (const [reason, count] of Object.entries(e.drops)) body.add(`${x}dropped_total`, 'counter', 'Items dropped, by reason.', [['reason', reason]], count);
  body.add(`${x}breaker_state`, 'gauge', 'Circuit breaker: 0 closed, 1 open, 2 half-open.', [], e.breakerState);
  body.add(`${x}outbox_groups`, 'gauge', 'Groups waiting in the outbox.', [], e.outboxGroups);
  body.add(`${x}outbox_bytes`, 'gauge', 'Bytes waiting in the outbox.', [], e.outboxBytes);
  body.add(`${x}outbox_max_groups`, 'gauge', 'The outbox group cap.', [], e.outboxMaxGroups);
  body.add(`${x}pending_deletes`, 'gauge', 'Deletions waiting.', [], e.pendingDeletes);
  body.add(`${x}rejected_groups`, 'gauge', 'Groups refused with a 4xx.', [], 0);
  body.add(`${x}connections`, 'gauge', 'Connections tracked.', [], e.connections);
  body.add(`${x}last_success_timestamp_seconds`, 'gauge', 'Unix time of the last successful push.', [], e.lastSuccessSeconds);
  body.add(`${x}push_interval_seconds`, 'gauge', 'The configured push interval.', [], e.pushIntervalSeconds);
  body.add(`${x}degraded`, 'gauge', '1 while degraded.', [], e.degraded ? 1 : 0);
  return body.text();
}

const AUDIO = 'audio' as const;
const VIDEO = 'video' as const;

/**
 * A clean call's window: typical loopback values, all well inside every threshold.
 * `tick` (pushes so far) only moves the counters.
 */
export function cleanConnection(ids: Pick<SyntheticConnection, 'job' | 'agentId' | 'callId' | 'peerConnectionId'>, tick: number): SyntheticConnection {
  return {
    ...ids,
    platform: 'teams',
    origin: 'https://teams.microsoft.com',
    rttSeconds: 0.032,
    qualityClass: 'good',
    reasons: [],
    startedAtSeconds: 1_800_000_000,
    streams: [
      { kind: AUDIO, direction: 'inbound', bitrateBps: 32_000 + tick, packetRate: 50, lossRatio: 0.001, jitterSeconds: 0.004, mos: 4.41, concealmentRatio: 0.002 },
      { kind: AUDIO, direction: 'outbound', bitrateBps: 32_000, packetRate: 50, lossRatio: 0, jitterSeconds: 0.003, mos: 4.41 },
      { kind: VIDEO, direction: 'inbound', bitrateBps: 1_200_000, packetRate: 120, lossRatio: 0.001, jitterSeconds: 0.006, framesPerSecond: 30, frameHeight: 720, frozenRatio: 0, freezesTotal: 0 },
      { kind: VIDEO, direction: 'outbound', bitrateBps: 1_250_000, packetRate: 125, lossRatio: 0, jitterSeconds: 0.005, framesPerSecond: 30, frameHeight: 720, qualityLimitation: 'none' },
    ],
  };
}

/** A bad call's window: every value past its alert threshold (prometheus/alert-rules.yml). */
export function impairedConnection(ids: Pick<SyntheticConnection, 'job' | 'agentId' | 'callId' | 'peerConnectionId'>, tick: number): SyntheticConnection {
  return {
    ...ids,
    platform: 'genesys',
    origin: 'https://apps.mypurecloud.com',
    rttSeconds: 0.42,
    qualityClass: 'poor',
    reasons: ['high_loss', 'high_rtt', 'high_jitter', 'low_mos', 'freezes', 'concealment', 'bandwidth_limited'],
    startedAtSeconds: 1_800_000_000,
    streams: [
      { kind: AUDIO, direction: 'inbound', bitrateBps: 28_000 + tick, packetRate: 46, lossRatio: 0.07, jitterSeconds: 0.045, mos: 2.8, concealmentRatio: 0.11 },
      { kind: AUDIO, direction: 'outbound', bitrateBps: 32_000, packetRate: 50, lossRatio: 0.06, jitterSeconds: 0.04, mos: 2.9 },
      { kind: VIDEO, direction: 'inbound', bitrateBps: 300_000, packetRate: 40, lossRatio: 0.07, jitterSeconds: 0.05, framesPerSecond: 12, frameHeight: 360, frozenRatio: 0.09, freezesTotal: tick },
      { kind: VIDEO, direction: 'outbound', bitrateBps: 350_000, packetRate: 45, lossRatio: 0.06, jitterSeconds: 0.04, framesPerSecond: 15, frameHeight: 360, qualityLimitation: 'bandwidth' },
    ],
  };
}

/** A healthy browser: breaker closed, outbox nearly empty, nothing dropped since the start; a call started every push. */
export function healthyExporter(ids: Pick<SyntheticExporter, 'job' | 'agentId' | 'instance'>, tick: number, nowSeconds: number): SyntheticExporter {
  return {
    ...ids,
    pushes: 10 + tick, pushFailures: 0, deletes: 2, reportsAccepted: 100 + tick, drops: { 'rate-limit': 1 },
    breakerState: 0, outboxGroups: 1, outboxBytes: 2_000, outboxMaxGroups: 500, pendingDeletes: 0,
    connections: 1, lastSuccessSeconds: nowSeconds, pushIntervalSeconds: 1, degraded: false,
    started: { teams: 3 + tick }, ended: { teams: { good: 2 } },
  };
}

/** A browser in trouble: breaker open, outbox at 90 % of its cap, drops and failures rising. */
export function troubledExporter(ids: Pick<SyntheticExporter, 'job' | 'agentId' | 'instance'>, tick: number, nowSeconds: number): SyntheticExporter {
  return {
    ...ids,
    pushes: 10 + tick, pushFailures: 5 * tick, deletes: 0, reportsAccepted: 100 + tick, drops: { 'queue-full': 3 * tick },
    breakerState: 1, outboxGroups: 450, outboxBytes: 3_000_000, outboxMaxGroups: 500, pendingDeletes: 4,
    connections: 1, lastSuccessSeconds: nowSeconds, pushIntervalSeconds: 1, degraded: false,
    started: { genesys: 3 }, ended: { genesys: { poor: Math.floor(tick / 2), fair: 1 } },
  };
}
