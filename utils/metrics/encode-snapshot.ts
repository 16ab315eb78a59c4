import { STATS_TYPES } from '../settings/settings-schema';
import type { RtcStat } from '../webrtc/report-schema';
import { conventionalObjectSamples, conventionalReportSamples } from './conventional-samples';
import { sanitizeLabelName } from './exposition-format';
import { legacyObjectSamples } from './legacy-naming';
import {
  createFamilyCollector,
  joinLabelBodies,
  renderLabelBody,
  type LabelPairs,
  type ObjectSample,
} from './metric-families';
import { PER_OBJECT_LABEL_NAMES } from './privacy';
import { createObjectLabeller } from './stat-labels';
import type { SsrcAdmission } from './ssrc-admission';
import { writeExposition } from './text-writer';

/** Names of the raw getStats() fields: Prometheus conventions (the `full` profile) or the older exporters' (`legacy`). */
export type RawNaming = 'conventional' | 'legacy';

export interface EncodeOptions {
  naming: RawNaming;
  /** Labels on every series (agent_id, platform, origin or pageUrl...): the caller decides. Empty values are left out. */
  labels: Record<string, string>;
  /** Most series in the output; the rest are dropped and counted. */
  maxSeries: number;
  /** The connection's SSRC label admission (ssrc-admission.ts); without it every SSRC is a label value. */
  ssrcs?: SsrcAdmission;
}

export interface EncodedSnapshot {
  /** Prometheus text exposition (0.0.4), or '' when nothing was exportable. */
  text: string;
  /** Series written. */
  series: number;
  /** Series left out: over `maxSeries`, or duplicates that the Pushgateway would refuse. */
  droppedSeries: number;
  /** Page-supplied label values replaced by `other` (label-screening.ts); the caller counts them. */
  screenedLabels: number;
}

/**
 * Order in which stats types claim the series budget: what call-quality dashboards need first,
 * so that a cap cuts codecs and data channels before it cuts inbound audio.
 */
const TYPE_PRIORITY = new Map<string, number>(
  [
    'inbound-rtp',
    'outbound-rtp',
    'remote-inbound-rtp',
    'remote-outbound-rtp',
    'candidate-pair',
    'transport',
    'peer-connection',
    'media-source',
    'media-playout',
    'data-channel',
    'codec',
  ].map((type, rank) => [type, rank]),
);
const KNOWN_TYPES: ReadonlySet<string> = new Set(STATS_TYPES);
/** Label names the encoder itself puts on series; a common label of the same name is left out. */
const ENCODER_LABEL_NAMES: ReadonlySet<string> = new Set([
  ...PER_OBJECT_LABEL_NAMES,
  'state',
  'reason',
  'codec',
  'decoder_implementation',
  'encoder_implementation',
  'scalability_mode',
  'dtls_role',
  'ice_role',
  'dtls_cipher',
  'srtp_cipher',
  'tls_version',
]);

/**
 * Turns one getStats() report into Prometheus text: families contiguous and sorted by name,
 * `# HELP`/`# TYPE` once each, types fixed per name, at most `maxSeries` series. Pure and total:
 * malformed objects are skipped, never thrown on. Stats types outside the spec's list are
 * skipped too, so a page cannot invent metric families.
 */
export function encodeSnapshot(stats: readonly RtcStat[], options: EncodeOptions): EncodedSnapshot {
  const objects = stats.filter(isStatsObject).filter((stat) => KNOWN_TYPES.has(stat.type));
  objects.sort(byPriorityThenId);
  const common = commonLabels(options.labels);
  const tally = { screened: 0 };
  const labeller = createObjectLabeller(objects, tally, options.ssrcs);
  const collector = createFamilyCollector(options.maxSeries);
  // Each object's label set is rendered (escaped) once, not once per sample.
  const add = (prefix: string, sample: ObjectSample) =>
    collector.addRendered(sample.spec, joinLabelBodies(prefix, renderLabelBody(sample.labels)), sample.value);
  const commonBody = renderLabelBody(common);

  for (const stat of objects) {
    const own = labeller.labelsFor(stat);
    if (!own) continue;
    const prefix = joinLabelBodies(commonBody, renderLabelBody(own));
    const samples =
      options.naming === 'legacy' ? legacyObjectSamples(stat) : conventionalObjectSamples(stat, labeller.resolve, tally);
    for (const sample of samples) add(prefix, sample);
  }
  if (options.naming !== 'legacy') {
    for (const sample of conventionalReportSamples(objects)) add(commonBody, sample);
  }
  return {
    text: writeExposition(collector.families()),
    series: collector.series(),
    droppedSeries: collector.dropped(),
    screenedLabels: tally.screened,
  };
}

/** The caller's labels, sanitised, sorted by name, without empty values or the encoder's own names. */
export function commonLabels(labels: Record<string, string>): LabelPairs {
  const out = new Map<string, string>();
  for (const [rawName, value] of Object.entries(labels)) {
    if (typeof value !== 'string' || value === '') continue;
    const name = sanitizeLabelName(rawName);
    if (ENCODER_LABEL_NAMES.has(name)) continue;
    out.set(name, value);
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function isStatsObject(value: unknown): value is RtcStat {
  if (typeof value !== 'object' || value === null) return false;
  const { id, type } = value as { id?: unknown; type?: unknown };
  return typeof id === 'string' && typeof type === 'string';
}

function byPriorityThenId(a: RtcStat, b: RtcStat): number {
  const rank = (TYPE_PRIORITY.get(a.type) ?? 99) - (TYPE_PRIORITY.get(b.type) ?? 99);
  if (rank !== 0) return rank;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
