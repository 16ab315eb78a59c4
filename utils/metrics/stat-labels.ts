import type { RtcStat } from '../webrtc/report-schema';
import { SCREENED_VALUE, screenLabelValue, type ScreeningTally } from './label-screening';
import type { SsrcAdmission } from './ssrc-admission';
import type { LabelPairs } from './metric-families';
import { SKIPPED_STATS_TYPES } from './privacy';

/** Looks a stats object up by id, for links between objects (codecId, mediaSourceId...). */
export type StatResolver = (id: unknown) => RtcStat | undefined;

export interface ObjectLabeller {
  /** Labels that tell this object apart from others of its type, or undefined to skip the object. */
  labelsFor(stat: RtcStat): LabelPairs | undefined;
  resolve: StatResolver;
}

const RTP_TYPES = new Set(['inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'remote-outbound-rtp']);
const KINDS = new Set(['audio', 'video']);
const CANDIDATE_TYPES = new Set(['host', 'srflx', 'prflx', 'relay']);
const PROTOCOLS = new Set(['udp', 'tcp']);
const RELAY_PROTOCOLS = new Set(['udp', 'tcp', 'tls']);

/**
 * Builds the per-object labels of one report: `kind` and `ssrc` for RTP streams, the codec's
 * MIME type, the data channel's SCTP stream number, and for the selected candidate pair only the
 * candidate types and protocol. Never an id, address, port or track UUID. Objects left with the
 * same labels as an earlier one of their type get `index="1"`, `"2"`... so that no two series
 * collide (the Pushgateway refuses the whole push otherwise); feed objects in a stable order.
 */
export function createObjectLabeller(
  stats: readonly RtcStat[],
  tally: ScreeningTally = { screened: 0 },
  ssrcs?: SsrcAdmission,
): ObjectLabeller {
  const byId = new Map<string, RtcStat>();
  for (const stat of stats) byId.set(stat.id, stat);
  const resolve: StatResolver = (id) => (typeof id === 'string' ? byId.get(id) : undefined);

  const selectedPairs = findSelectedPairs(stats, resolve);
  const sourceSsrc = ssrcBySource(stats);
  const seen = new Map<string, number>();

  function ownLabels(stat: RtcStat): Array<[string, string]> | undefined {
    if (SKIPPED_STATS_TYPES.has(stat.type)) return undefined;
    const labels: Array<[string, string]> = [];
    if (RTP_TYPES.has(stat.type)) {
      pushKind(labels, stat.kind);
      pushSsrc(labels, stat.ssrc, ssrcs);
    } else if (stat.type === 'media-source') {
      pushKind(labels, stat.kind);
      pushSsrc(labels, sourceSsrc.get(stat.id), ssrcs);
    } else if (stat.type === 'media-playout') {
      pushKind(labels, stat.kind);
    } else if (stat.type === 'codec') {
      if (typeof stat.mimeType === 'string') labels.push(['mime_type', screenLabelValue('mime_type', stat.mimeType, tally)]);
      if (isUint(stat.payloadType, 127)) labels.push(['payload_type', String(stat.payloadType)]);
    } else if (stat.type === 'data-channel') {
      if (isUint(stat.dataChannelIdentifier, 65_535)) labels.push(['data_channel_id', String(stat.dataChannelIdentifier)]);
    } else if (stat.type === 'candidate-pair') {
      if (!selectedPairs.has(stat.id)) return undefined;
      pushCandidateLabels(labels, resolve(stat.localCandidateId), resolve(stat.remoteCandidateId));
    }
    return labels;
  }

  return {
    resolve,
    labelsFor(stat) {
      const labels = ownLabels(stat);
      if (!labels) return undefined;
      const key = JSON.stringify([stat.type, labels]);
      const earlier = seen.get(key) ?? 0;
      seen.set(key, earlier + 1);
      if (earlier > 0) labels.push(['index', String(earlier)]);
      return labels;
    },
  };
}

/**
 * The candidate pairs in use: those named by a transport's `selectedCandidatePairId`, or flagged
 * `selected` (Firefox); failing both, the nominated succeeded ones. The other pairs are ICE
 * probing leftovers whose only distinguishing trait would be their ids.
 */
function findSelectedPairs(stats: readonly RtcStat[], resolve: StatResolver): Set<string> {
  const selected = new Set<string>();
  for (const stat of stats) {
    if (stat.type === 'transport') {
      const pair = resolve(stat.selectedCandidatePairId);
      if (pair?.type === 'candidate-pair') selected.add(pair.id);
    } else if (stat.type === 'candidate-pair' && stat.selected === true) {
      selected.add(stat.id);
    }
  }
  if (selected.size === 0) {
    for (const stat of stats) {
      if (stat.type === 'candidate-pair' && stat.nominated === true && stat.state === 'succeeded') selected.add(stat.id);
    }
  }
  return selected;
}

/** Media source -> the lowest ssrc of the outbound streams fed by it (simulcast feeds several). */
function ssrcBySource(stats: readonly RtcStat[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const stat of stats) {
    if (stat.type !== 'outbound-rtp' || typeof stat.mediaSourceId !== 'string' || !isUint(stat.ssrc, 0xffff_ffff)) continue;
    const current = map.get(stat.mediaSourceId);
    if (current === undefined || stat.ssrc < current) map.set(stat.mediaSourceId, stat.ssrc);
  }
  return map;
}

function pushKind(labels: Array<[string, string]>, kind: unknown): void {
  if (typeof kind === 'string' && KINDS.has(kind)) labels.push(['kind', kind]);
}

function pushSsrc(labels: Array<[string, string]>, ssrc: unknown, admission: SsrcAdmission | undefined): void {
  if (!isUint(ssrc, 0xffff_ffff)) return;
  labels.push(['ssrc', !admission || admission.admit(ssrc) ? String(ssrc) : SCREENED_VALUE]);
}

function pushCandidateLabels(labels: Array<[string, string]>, local: RtcStat | undefined, remote: RtcStat | undefined): void {
  if (typeof local?.candidateType === 'string' && CANDIDATE_TYPES.has(local.candidateType)) {
    labels.push(['local_candidate_type', local.candidateType]);
  }
  if (typeof remote?.candidateType === 'string' && CANDIDATE_TYPES.has(remote.candidateType)) {
    labels.push(['remote_candidate_type', remote.candidateType]);
  }
  if (typeof local?.protocol === 'string' && PROTOCOLS.has(local.protocol)) labels.push(['protocol', local.protocol]);
  if (typeof local?.relayProtocol === 'string' && RELAY_PROTOCOLS.has(local.relayProtocol)) {
    labels.push(['relay_protocol', local.relayProtocol]);
  }
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}
