/**
 * The small rules of the Prometheus text exposition format (0.0.4): what a valid metric or label
 * name is, how label values are escaped and how sample values are spelt.
 */

const INVALID_METRIC_CHARS = /[^a-zA-Z0-9_:]/g;
const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]/g;
const VALID_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const VALID_LABEL_NAME = /^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;

/** Turns any string into a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`). */
export function sanitizeMetricName(name: string): string {
  if (VALID_METRIC_NAME.test(name)) return name;
  const cleaned = name.replace(INVALID_METRIC_CHARS, '_');
  return cleaned === '' || /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * Turns any string into a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`). Names starting with `__`
 * are reserved for Prometheus itself, so a leading run of underscores is cut to one.
 */
export function sanitizeLabelName(name: string): string {
  if (VALID_LABEL_NAME.test(name)) return name;
  const cleaned = name.replace(INVALID_LABEL_CHARS, '_').replace(/^_{2,}/, '_');
  return cleaned === '' || /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** Escapes a label value: backslash, double quote and line feed are the only escapes the format has. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\"\n]/g, (char) => (char === '\\' ? '\\\\' : char === '"' ? '\\"' : '\\n'));
}

/** Escapes a `# HELP` text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === '\\' ? '\\\\' : '\\n'));
}

/** Spells a sample value as Prometheus parses it: `NaN`, `+Inf`, `-Inf`, booleans as 1/0. */
export function formatSampleValue(value: number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  // Object.is(-0, 0) is false and String(-0) is '0' already; nothing else needs care, since
  // Go's ParseFloat reads JavaScript's exponent form ('1e+21').
  return String(value);
}

/** camelCase / kebab-case to snake_case: `packetsReceivedWithEct1` -> `packets_received_with_ect1`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[-\s.]+/g, '_')
    .toLowerCase();
}
