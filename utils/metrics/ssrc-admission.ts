import { MAX_STREAMS_PER_CONNECTION } from '../quality/quality-window';

/**
 * The `ssrc` label values one connection may ever export (the `full` and `legacy` profiles). A
 * page chooses its SSRCs: one that rotates them every poll would otherwise mint new series in the
 * organisation's Prometheus at every push, each push within its series cap. The first SSRCs a
 * connection shows keep their value for its whole life; later ones are exported as `other`
 * (still one series per stream thanks to the labeller's `index`) and counted.
 */
export interface SsrcAdmission {
  /** True when `ssrc` may be a label value: seen before, or a free place is left. */
  admit(ssrc: number): boolean;
  /** SSRCs refused so far (each refusal of a report counts, so a rotating page keeps counting). */
  refused(): number;
}

/** Same cap as the quality engine's streams per connection: a real SFU call stays well under it. */
export const MAX_SSRC_LABELS_PER_CONNECTION = MAX_STREAMS_PER_CONNECTION;

/** An admission with room for `cap` distinct SSRCs (default {@link MAX_SSRC_LABELS_PER_CONNECTION}). */
export function createSsrcAdmission(cap = MAX_SSRC_LABELS_PER_CONNECTION): SsrcAdmission {
  const admitted = new Set<number>();
  let refused = 0;
  return {
    admit(ssrc) {
      if (admitted.has(ssrc)) return true;
      if (admitted.size < cap) {
        admitted.add(ssrc);
        return true;
      }
      refused++;
      return false;
    },
    refused: () => refused,
  };
}
