import { qualityThresholdsSchema, type QualityThresholds } from '../quality/quality-types';

export type QualityKey = keyof QualityThresholds;

/** What the options page shows for one quality threshold, in the unit users read (ms, %). */
export interface QualityField {
  key: QualityKey;
  label: string;
  unit: 'ms' | '%' | 'MOS';
  /** Stored value = shown value × scale (e.g. % → ratio: 0.01). */
  scale: number;
  help: string;
  /** The default, in the shown unit. */
  defaultShown: number;
}

const UNITS = { ms: 0.001, '%': 0.01, MOS: 1 } as const;

// A Record over every key: a threshold added to the schema without a label fails to compile.
const TEXT: Record<QualityKey, { label: string; unit: QualityField['unit']; help: string }> = {
  lossFair: { label: 'Packet loss: fair from', unit: '%', help: 'Lost share of packets in a window.' },
  lossPoor: { label: 'Packet loss: poor from', unit: '%', help: 'Above ~5 % speech breaks up (ITU-T G.113 packet-loss impairment).' },
  rttFairSeconds: { label: 'Round-trip time: fair from', unit: 'ms', help: 'ITU-T G.114: one-way delay under 150 ms (300 ms round trip) is fine for most calls.' },
  rttPoorSeconds: { label: 'Round-trip time: poor from', unit: 'ms', help: 'ITU-T G.114: beyond 400 ms one-way conversation suffers; 400 ms round trip is a common alert line.' },
  jitterFairSeconds: { label: 'Jitter: fair from', unit: 'ms', help: 'Highest jitter in a window.' },
  jitterPoorSeconds: { label: 'Jitter: poor from', unit: 'ms', help: 'Beyond ~50 ms jitter buffers add audible delay.' },
  mosFair: { label: 'MOS: fair below', unit: 'MOS', help: 'Audio MOS (1–4.5, simplified E-model): 4.0 and up is toll quality.' },
  mosPoor: { label: 'MOS: poor below', unit: 'MOS', help: 'Below 3.5 many users are dissatisfied (ITU-T G.107 R-factor bands).' },
  frozenFair: { label: 'Video frozen: fair from', unit: '%', help: 'Share of a window the received video was frozen.' },
  frozenPoor: { label: 'Video frozen: poor from', unit: '%', help: 'Share of a window the received video was frozen.' },
  concealmentFair: { label: 'Audio concealed: fair from', unit: '%', help: 'Share of received audio samples concealed (lost or late).' },
  concealmentPoor: { label: 'Audio concealed: poor from', unit: '%', help: 'Share of received audio samples concealed (lost or late).' },
};

/** A stored value in the unit shown, without float noise (0.07 / 0.01 is 7.000000000000001). */
export function toShown(value: number, scale: number): number {
  return Number((value / scale).toPrecision(10));
}

/** Every quality threshold with its label, unit, scale and default, in schema order. */
export function qualityFields(): QualityField[] {
  const defaults = qualityThresholdsSchema.parse({});
  return (Object.keys(qualityThresholdsSchema.shape) as QualityKey[]).map((key) => {
    const text = TEXT[key];
    const scale = UNITS[text.unit];
    return { key, ...text, scale, defaultShown: toShown(defaults[key], scale) };
  });
}
