import type { ConnectionWindow } from '../quality/quality-types';
import type { ExportProfile } from '../settings/settings-schema';
import type { RtcStat } from '../webrtc/report-schema';
import { encodeSnapshot } from './encode-snapshot';
import { encodeQualityWindow } from './quality-encoder';
import type { SsrcAdmission } from './ssrc-admission';

/** What one push of a connection is made from. */
export interface ConnectionPushInput {
  /** The quality window since the previous push; null while only one snapshot exists. */
  window: ConnectionWindow | null;
  /** The latest getStats() report (raw fields of `full` and `legacy`). */
  stats: readonly RtcStat[];
  /** When the connection was first seen, Unix ms. */
  startedAt: number;
}

export interface ConnectionIdentity {
  groupId: string;
  callId: string;
  /**
   * Labels common to the connection (agent_id, platform, origin or page; `pageUrl` in legacy),
   * already reduced by the privacy setting. Empty values are left out.
   */
  labels: Record<string, string>;
}

export interface EncodedConnection {
  text: string;
  series: number;
  droppedSeries: number;
  screenedLabels: number;
}

/**
 * The grouping key of a connection's Pushgateway group. `quality` and `full` carry every label
 * common to the group in the key (docs/metrics.md): the gateway adds them to each series, so
 * they are not repeated on every sample. `legacy` keeps the older exporters' shape: only
 * `peerConnectionId` in the key, the other labels on each sample, which their dashboards use.
 */
export function connectionGroupingKey(profile: ExportProfile, identity: ConnectionIdentity): Record<string, string> {
  if (profile === 'legacy') return { peerConnectionId: identity.groupId };
  const key: Record<string, string> = {};
  for (const name of ['agent_id', 'platform', 'origin', 'page']) {
    const value = identity.labels[name];
    if (value) key[name] = value;
  }
  key.call_id = identity.callId;
  key.peer_connection_id = identity.groupId;
  return key;
}

/**
 * The body of one push under a profile: `quality` the window's gauges; `full` those plus the
 * catalogued raw fields of the latest report (with `ssrc`); `legacy` the raw fields under the
 * older exporters' names, unchanged.
 */
export function encodeConnection(
  profile: ExportProfile,
  input: ConnectionPushInput,
  options: { labels: Record<string, string>; maxSeries: number; ssrcs?: SsrcAdmission },
): EncodedConnection {
  if (profile === 'legacy') {
    return encodeSnapshot(input.stats, { naming: 'legacy', labels: options.labels, maxSeries: options.maxSeries, ssrcs: options.ssrcs });
  }
  const quality = encodeQualityWindow(input.window, input.startedAt);
  if (profile === 'quality') return { text: quality.text, series: quality.series, droppedSeries: 0, screenedLabels: 0 };
  const raw = encodeSnapshot(input.stats, {
    naming: 'conventional',
    labels: {},
    maxSeries: Math.max(0, options.maxSeries - quality.series),
    ssrcs: options.ssrcs,
  });
  return {
    text: quality.text + raw.text,
    series: quality.series + raw.series,
    droppedSeries: raw.droppedSeries,
    screenedLabels: raw.screenedLabels,
  };
}
