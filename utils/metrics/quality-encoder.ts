import {
  QUALITY_CLASSES,
  QUALITY_LIMITATIONS,
  QUALITY_REASONS,
  type ConnectionWindow,
  type Direction,
  type MediaKind,
  type StreamWindow,
} from '../quality/quality-types';
import { formatSampleValue } from './exposition-format';

/**
 * The `quality` export profile (docs/metrics.md): one connection's push window as Prometheus
 * text. Built for the hot path: every `# HELP`/`# TYPE` header and every label set is a string
 * made once when this module loads; encoding a window only concatenates those with values. The
 * labels common to the group (agent, platform, origin, call, connection) are in the grouping key,
 * not here. All label values come from fixed sets, never from the page.
 */

interface FamilyDef {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
}

function header(family: FamilyDef): string {
  return `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
}

type StreamValue = (stream: StreamWindow) => number | null;

interface StreamFamily {
  header: string;
  value: StreamValue;
  /** `name{kind="…",direction="…"} ` per kind+direction, indexed by streamIndex(). */
  prefixes: readonly string[];
}

const KINDS: readonly MediaKind[] = ['audio', 'video'];
const DIRECTIONS: readonly Direction[] = ['inbound', 'outbound'];

function streamIndex(kind: MediaKind, direction: Direction): number {
  return (kind === 'audio' ? 0 : 2) + (direction === 'inbound' ? 0 : 1);
}

function streamFamily(family: FamilyDef, value: StreamValue): StreamFamily {
  const prefixes: string[] = [];
  for (const kind of KINDS) {
    for (const direction of DIRECTIONS) prefixes[streamIndex(kind, direction)] = `${family.name}{kind="${kind}",direction="${direction}"} `;
  }
  return { header: header(family), value, prefixes };
}

const gauge = (name: string, help: string): FamilyDef => ({ name, type: 'gauge', help });

/** Per-stream families in name order; a stream whose value is null (not measured, not applicable) has no sample. */
const STREAM_FAMILIES: readonly StreamFamily[] = [
  streamFamily(gauge('webrtc_audio_concealment_ratio', 'Concealed share of received audio samples in the window.'), (s) => s.concealmentRatio),
  // Bytes, Prometheus's base unit (promtool lints bits); dashboards show it × 8 as bit/s.
  streamFamily(gauge('webrtc_bitrate_bytes_per_second', 'Payload rate over the window, bytes per second.'), (s) => (s.bitrateBps === null ? null : s.bitrateBps / 8)),
  streamFamily(gauge('webrtc_jitter_seconds', 'Highest jitter in the window (outbound: as the far end reports it).'), (s) => s.jitterSeconds),
  streamFamily(gauge('webrtc_mos', 'Mean opinion score 1-4.5 (simplified E-model) for the window.'), (s) => s.mos),
  streamFamily(gauge('webrtc_packet_loss_ratio', 'Lost share of packets in the window, 0-1.'), (s) => s.lossRatio),
  streamFamily(gauge('webrtc_packet_rate_packets_per_second', 'Packets per second over the window.'), (s) => s.packetRate),
  streamFamily(gauge('webrtc_video_frame_height_pixels', 'Last frame height in the window.'), (s) => s.frameHeight),
  streamFamily(gauge('webrtc_video_frames_per_second', 'Frames decoded (inbound) or encoded (outbound) per second in the window.'), (s) => s.framesPerSecond),
  streamFamily({ name: 'webrtc_video_freezes_total', type: 'counter', help: 'Video freezes since the stream started.' }, (s) => s.freezesTotal),
  streamFamily(gauge('webrtc_video_frozen_ratio', 'Share of the window the received video was frozen.'), (s) => s.frozenRatio),
];

/** One line per label value of a fixed set: `name{label="value"} 1`. */
function oneHotLines(name: string, label: string, values: readonly string[]): ReadonlyMap<string, string> {
  return new Map(values.map((value) => [value, `${name}{${label}="${value}"} 1\n`]));
}

const LIMITATION = gauge('webrtc_video_quality_limitation_info', 'Why the encoder limits outbound video quality (last in the window); always 1.');
const LIMITATION_HEADER = header(LIMITATION);
// Outbound video only, so the kind+direction labels are fixed.
const LIMITATION_LINES = new Map(
  QUALITY_LIMITATIONS.map((reason) => [reason, `${LIMITATION.name}{kind="video",direction="outbound",reason="${reason}"} 1\n`]),
);

const RTT = gauge('webrtc_round_trip_time_seconds', 'Highest round-trip time in the window.');
const RTT_HEADER = header(RTT);
const CLASS = gauge('webrtc_quality_class', "The connection's quality class for the window (worst of its streams); always 1.");
const CLASS_HEADER = header(CLASS);
const CLASS_LINES = oneHotLines(CLASS.name, 'class', QUALITY_CLASSES);
const REASON = gauge('webrtc_quality_reason', 'A reason the window is not good, one series per active reason; always 1.');
const REASON_HEADER = header(REASON);
const REASON_LINES = oneHotLines(REASON.name, 'reason', QUALITY_REASONS);
const START = gauge('webrtc_connection_start_timestamp_seconds', 'When the connection was first seen, Unix seconds.');
const START_PREFIX = `${header(START)}${START.name} `;

/** Every metric name the quality profile can write (for the dashboards' and tests' cross-checks). */
export const QUALITY_METRIC_NAMES: readonly string[] = [
  ...STREAM_FAMILIES.map((family) => family.header.slice('# HELP '.length, family.header.indexOf(' ', '# HELP '.length))),
  LIMITATION.name,
  RTT.name,
  CLASS.name,
  REASON.name,
  START.name,
].sort();

/** What one quality body holds. */
export interface QualityEncoded {
  text: string;
  series: number;
}

/**
 * Fractions to six significant digits: more than any dashboard shows, and a window whose values
 * did not really change encodes to the same bytes (so its push can be skipped as identical).
 * Integers (counters, pixels, timestamps) are written whole.
 */
function format(value: number): string {
  return formatSampleValue(Number.isInteger(value) ? value : Number(value.toPrecision(6)));
}

/**
 * Encodes one connection's window. `window` null (only one snapshot so far) still gives the start
 * time, so a new connection's group appears at once. Non-finite values are left out.
 */
export function encodeQualityWindow(window: ConnectionWindow | null, startedAtMs: number): QualityEncoded {
  let text = '';
  let series = 0;
  const streams = window?.streams ?? [];
  for (const family of STREAM_FAMILIES) {
    let body = '';
    for (const stream of streams) {
      const value = family.value(stream);
      if (value === null || !Number.isFinite(value)) continue;
      body += family.prefixes[streamIndex(stream.kind, stream.direction)]! + format(value) + '\n';
      series++;
    }
    if (body !== '') text += family.header + body;
  }
  let limitation = '';
  for (const stream of streams) {
    const line = stream.qualityLimitation === null ? undefined : LIMITATION_LINES.get(stream.qualityLimitation);
    if (line === undefined || stream.kind !== 'video' || stream.direction !== 'outbound') continue;
    limitation += line;
    series++;
  }
  if (limitation !== '') text += LIMITATION_HEADER + limitation;
  if (window) {
    if (window.rttSeconds !== null && Number.isFinite(window.rttSeconds)) {
      text += `${RTT_HEADER}${RTT.name} ${format(window.rttSeconds)}\n`;
      series++;
    }
    const classLine = CLASS_LINES.get(window.qualityClass);
    if (classLine) {
      text += CLASS_HEADER + classLine;
      series++;
    }
    let reasons = '';
    for (const reason of window.reasons) {
      const line = REASON_LINES.get(reason);
      if (line === undefined) continue;
      reasons += line;
      series++;
    }
    if (reasons !== '') text += REASON_HEADER + reasons;
  }
  if (Number.isFinite(startedAtMs) && startedAtMs > 0) {
    text += `${START_PREFIX}${formatSampleValue(Math.floor(startedAtMs) / 1000)}\n`;
    series++;
  }
  return { text, series };
}
