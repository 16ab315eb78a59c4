/** Shown where a figure is not known (no report yet, not measured by this browser). */
export const NO_VALUE = '—';

function isFiniteNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function trimmed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A bit rate in the largest unit that keeps it readable: 950 bit/s, 48.5 kbit/s, 2.1 Mbit/s. */
export function formatBitrate(bps: number | null | undefined): string {
  if (!isFiniteNumber(bps) || bps < 0) return NO_VALUE;
  if (bps >= 1e9) return `${trimmed(bps / 1e9, 2)} Gbit/s`;
  if (bps >= 1e6) return `${trimmed(bps / 1e6, bps >= 1e8 ? 0 : 2)} Mbit/s`;
  if (bps >= 1e3) return `${trimmed(bps / 1e3, bps >= 1e5 ? 0 : 1)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

/** A byte count: 512 B, 12.3 kB, 4 MB (decimal units, like the outbox limit is set in). */
export function formatBytes(bytes: number | null | undefined): string {
  if (!isFiniteNumber(bytes) || bytes < 0) return NO_VALUE;
  if (bytes >= 1e6) return `${trimmed(bytes / 1e6, 1)} MB`;
  if (bytes >= 1e3) return `${trimmed(bytes / 1e3, 1)} kB`;
  return `${Math.round(bytes)} B`;
}

/** A percentage with one decimal: 0.5 %, 12 %. */
export function formatPercent(percent: number | null | undefined): string {
  if (!isFiniteNumber(percent)) return NO_VALUE;
  return `${trimmed(percent, 1)} %`;
}

/** A duration given in seconds (RTT, jitter), shown in ms: 0.0423 -> 42.3 ms. */
export function formatSecondsAsMs(seconds: number | null | undefined): string {
  if (!isFiniteNumber(seconds) || seconds < 0) return NO_VALUE;
  const ms = seconds * 1000;
  return `${trimmed(ms, ms >= 100 ? 0 : 1)} ms`;
}

/** How long ago a time was, coarse: "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago", "never". */
export function formatAgo(at: number | null | undefined, now: number): string {
  if (!isFiniteNumber(at)) return 'never';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A length of time in words: 45 s, 3 min 5 s, 2 h 10 min. */
export function formatDuration(ms: number | null | undefined): string {
  if (!isFiniteNumber(ms) || ms < 0) return NO_VALUE;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${totalSeconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A wall-clock time in the user's locale, for "last push at". */
export function formatClock(at: number | null | undefined, locale?: string): string {
  if (!isFiniteNumber(at)) return NO_VALUE;
  return new Date(at).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
