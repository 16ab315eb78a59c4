import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../utils/metrics/encode-snapshot';
import { createSsrcAdmission, MAX_SSRC_LABELS_PER_CONNECTION } from '../../../utils/metrics/ssrc-admission';
import type { RtcStat } from '../../../utils/webrtc/report-schema';

/** One inbound audio stream whose SSRC the page picks. */
function inbound(ssrc: number, id = 'IT1'): RtcStat {
  return { id, type: 'inbound-rtp', timestamp: 1, kind: 'audio', ssrc, packetsReceived: 100, packetsLost: 1 } as RtcStat;
}

function ssrcLabelValues(text: string): Set<string> {
  return new Set([...text.matchAll(/ssrc="([^"]*)"/g)].map((match) => match[1]!));
}

describe('createSsrcAdmission', () => {
  it('admits the first SSRCs up to its cap, keeps admitting those, and refuses and counts the rest', () => {
    const admission = createSsrcAdmission(2);
    expect([admission.admit(10), admission.admit(11), admission.admit(10)]).toEqual([true, true, true]);
    expect([admission.admit(12), admission.admit(13), admission.admit(11)]).toEqual([false, false, true]);
    expect(admission.refused()).toBe(2);
  });
});

describe('encodeSnapshot with an SSRC admission', () => {
  it('exports at most the cap of distinct ssrc values for a page that rotates its SSRC every poll', () => {
    const ssrcs = createSsrcAdmission();
    const seen = new Set<string>();
    for (let poll = 0; poll < 1_000; poll++) {
      const { text } = encodeSnapshot([inbound(1_000 + poll)], { naming: 'conventional', labels: {}, maxSeries: 500, ssrcs });
      for (const value of ssrcLabelValues(text)) seen.add(value);
    }
    expect(seen.size).toBe(MAX_SSRC_LABELS_PER_CONNECTION + 1);
    expect(seen.has('other')).toBe(true);
    expect(ssrcs.refused()).toBe(1_000 - MAX_SSRC_LABELS_PER_CONNECTION);
  });

  it('keeps two refused streams of one report apart (index), so the gateway gets no duplicate series', () => {
    const ssrcs = createSsrcAdmission(1);
    const { text, droppedSeries } = encodeSnapshot([inbound(1, 'A'), inbound(2, 'B'), inbound(3, 'C')], {
      naming: 'conventional',
      labels: {},
      maxSeries: 500,
      ssrcs,
    });
    expect(droppedSeries).toBe(0);
    expect(text).toMatch(/ssrc="other"/);
    expect(text).toMatch(/index="1"/);
  });

  it('labels every SSRC when no admission is given (one report on its own)', () => {
    const { text } = encodeSnapshot([inbound(1, 'A'), inbound(2, 'B')], { naming: 'conventional', labels: {}, maxSeries: 500 });
    expect(ssrcLabelValues(text)).toEqual(new Set(['1', '2']));
  });
});
