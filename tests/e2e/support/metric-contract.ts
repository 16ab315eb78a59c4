import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTRACT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/metrics.md');

// A metric name of the quality profile, not a recording rule's name (those contain colons).
const CONTRACT_NAME = /\bwebrtc_[a-z0-9_]+(?![a-z0-9_:])/g;

/** Every `webrtc_*` metric name docs/metrics.md (the quality profile contract) defines. */
export function contractMetricNames(): Set<string> {
  return new Set(readFileSync(CONTRACT, 'utf8').match(CONTRACT_NAME) ?? []);
}

/** The `webrtc_*` metric names a PromQL expression reads (recording-rule names left out). */
export function webrtcMetricNamesIn(expr: string): string[] {
  return [...new Set(expr.match(CONTRACT_NAME) ?? [])];
}
