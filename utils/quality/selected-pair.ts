import type { RtcStat } from '../webrtc/report-schema';
import { numberField } from './stat-fields';

/**
 * The candidate pairs a snapshot's media flows on: those the transports name as selected
 * (`selectedCandidatePairId`); else the pairs marked `selected` (Firefox, which has no transport
 * stats); else the nominated succeeded pair that received last. Empty when there is no pair.
 * The quality engine reads RTT from them (quality-window.ts), and in the `quality` profile the
 * hook sends only them (stats-shaper.ts): a call with TURN, STUN and host candidates has a
 * dozen pairs, each a stats object the page would build and send at every poll for nothing.
 */
export function selectedCandidatePairs(stats: readonly RtcStat[]): RtcStat[] {
  const pairs = new Map<string, RtcStat>();
  const selectedIds: string[] = [];
  for (const stat of stats) {
    if (stat.type === 'candidate-pair') pairs.set(stat.id, stat);
    else if (stat.type === 'transport' && typeof stat.selectedCandidatePairId === 'string') selectedIds.push(stat.selectedCandidatePairId);
  }
  const named = selectedIds.map((id) => pairs.get(id)).filter((pair): pair is RtcStat => pair !== undefined);
  if (named.length > 0) return named;
  const marked = [...pairs.values()].filter((pair) => pair.selected === true);
  if (marked.length > 0) return marked;
  let latest: RtcStat | undefined;
  for (const pair of pairs.values()) {
    if (pair.nominated !== true || pair.state !== 'succeeded') continue;
    if (!latest || (numberField(pair, 'lastPacketReceivedTimestamp') ?? 0) > (numberField(latest, 'lastPacketReceivedTimestamp') ?? 0)) latest = pair;
  }
  return latest ? [latest] : [];
}
