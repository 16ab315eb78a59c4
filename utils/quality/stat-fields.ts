import type { RtcStat } from '../webrtc/report-schema';

/** A numeric field of a stats object, or undefined when it is missing, not a number or not finite. */
export function numberField(stat: RtcStat, field: string): number | undefined {
  const value = stat[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
