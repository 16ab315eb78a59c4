import { z } from 'zod';
import { settingsSchema, type Settings } from './settings-schema';
import { isPlainObject, unwrapDefault, type AnySchema } from './schema-walk';

export interface PolicyResult {
  settings: Settings;
  /** Dotted paths the policy fixes (leaves; arrays as a whole). */
  lockedFields: string[];
  /** Policy fields that were ignored, with why (unknown field, invalid value). */
  issues: { path: string; message: string }[];
}

/**
 * Top-level keys a policy may set: the settings' own. The managed area is read key by key
 * (the storage adapter has no "read everything"); Chrome drops keys that are not in
 * managed_schema.json before the extension sees them anyway.
 */
export const MANAGED_POLICY_KEYS: readonly string[] = Object.keys(settingsSchema.shape);

/**
 * Applies admin policy (the contents of `storage.managed`, shaped like the settings) over the
 * user's settings, field by field. Each valid policy leaf replaces the user's value and is
 * locked; invalid or unknown policy fields are ignored and reported, so one typo in a policy
 * does not void the rest of it. `version` in a policy is ignored.
 */
export function applyManagedPolicy(settings: Settings, policy: unknown): PolicyResult {
  const lockedFields: string[] = [];
  const issues: PolicyResult['issues'] = [];
  if (!isPlainObject(policy)) {
    if (policy !== undefined && policy !== null) issues.push({ path: '', message: 'Policy is not an object' });
    return { settings, lockedFields, issues };
  }
  const result = structuredClone(settings) as Record<string, unknown>;

  function walk(
    shape: Record<string, AnySchema>,
    values: Record<string, unknown>,
    target: Record<string, unknown>,
    prefix: string,
  ): void {
    for (const [key, value] of Object.entries(values)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (prefix === '' && key === 'version') continue;
      const child = shape[key];
      if (!child) {
        issues.push({ path, message: 'Unknown policy field, ignored' });
        continue;
      }
      const base = unwrapDefault(child);
      if (base instanceof z.ZodObject) {
        if (!isPlainObject(value)) {
          issues.push({ path, message: 'Expected an object, ignored' });
          continue;
        }
        walk(base.shape as Record<string, AnySchema>, value, target[key] as Record<string, unknown>, path);
        continue;
      }
      const parsed = child.safeParse(value);
      if (!parsed.success) {
        issues.push({ path, message: parsed.error.issues[0]?.message ?? 'Invalid value, ignored' });
        continue;
      }
      target[key] = parsed.data;
      lockedFields.push(path);
    }
  }

  walk(settingsSchema.shape as Record<string, AnySchema>, policy, result, '');
  const checked = settingsSchema.safeParse(result);
  if (!checked.success) {
    // Cannot happen with leaf-valid values and no cross-field rules; keep the user's settings.
    issues.push({ path: '', message: checked.error.message });
    return { settings, lockedFields: [], issues };
  }
  return { settings: checked.data, lockedFields, issues };
}

/** Reads a dotted path (`gateway.url`) out of an object. */
export function getPath(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const part of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Writes a dotted path into an object, creating plain objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = target;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(current[part])) current[part] = {};
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1] ?? path] = structuredClone(value);
}

/** What an admin reads in the policy editor, per settings field. */
const DESCRIPTIONS: Record<string, string> = {
  gateway: 'Prometheus Pushgateway the metrics are pushed to.',
  'gateway.url': 'Pushgateway base URL (http or https), e.g. https://pushgateway.example.com:9091. Empty: nothing is pushed.',
  'gateway.job': 'Pushgateway job name.',
  'gateway.username': 'Basic-auth user name; empty means no authentication.',
  'gateway.password': 'Basic-auth password.',
  'gateway.gzip': 'Send push bodies gzip-compressed (default on).',
  sink: "Where metrics go: 'pushgateway' (default) or 'remote-write' (a Prometheus remote-write 1.0 receiver).",
  remoteWrite: 'Prometheus remote-write receiver, used when sink is remote-write.',
  'remoteWrite.url': 'Remote-write endpoint (http or https), e.g. http://prometheus.example.com:9090/api/v1/write. Empty: nothing is written.',
  'remoteWrite.auth': "Authentication: 'none' (default), 'basic' (username and password) or 'bearer' (bearerToken).",
  'remoteWrite.username': 'Basic-auth user name.',
  'remoteWrite.password': 'Basic-auth password (kept in local storage only).',
  'remoteWrite.bearerToken': 'Bearer token (kept in local storage only).',
  'remoteWrite.staticLabels': 'Extra labels on every series written, e.g. {"site": "paris"}: at most 10, names [a-zA-Z_][a-zA-Z0-9_]* not set by the exporter itself, values 1-128 characters.',
  agentId: 'Agent id, added as the agent_id label to every series; empty omits the label.',
  intervalMs: 'Interval between two getStats() polls of a connection, in milliseconds.',
  statsTypes: 'WebRTC stats types forwarded and exported.',
  platforms: 'Built-in platforms on which calls are captured.',
  'platforms.teams': 'Capture on Microsoft Teams.',
  'platforms.meet': 'Capture on Google Meet.',
  'platforms.connect': 'Capture on Amazon Connect.',
  'platforms.genesys': 'Capture on Genesys Cloud.',
  customOrigins: 'Extra origins to capture on, as origins (https://calls.example.com) or match patterns (https://*.example.com/*).',
  disabledOrigins: 'Origins on which capture is off.',
  urlLabelMode: "How the page URL appears as a label: 'origin', 'path' (without query) or 'off'.",
  pushIntervalMs: 'Interval between two pushes of a connection, in milliseconds; never shorter than intervalMs. Default 10000.',
  exportProfile: "What is exported: 'quality' (per-window call quality, default), 'full' (quality plus raw getStats fields) or 'legacy' (names of the older exporters).",
  quality: 'Thresholds that classify a push window as good, fair or poor.',
  'quality.lossFair': 'Packet loss ratio (0-1) from which a stream is fair. Default 0.01.',
  'quality.lossPoor': 'Packet loss ratio (0-1) from which a stream is poor. Default 0.05.',
  'quality.rttFairSeconds': 'Round-trip time in seconds from which a connection is fair. Default 0.25.',
  'quality.rttPoorSeconds': 'Round-trip time in seconds from which a connection is poor. Default 0.4.',
  'quality.jitterFairSeconds': 'Jitter in seconds from which a stream is fair. Default 0.03.',
  'quality.jitterPoorSeconds': 'Jitter in seconds from which a stream is poor. Default 0.05.',
  'quality.mosFair': 'MOS below which audio is fair. Default 4.0.',
  'quality.mosPoor': 'MOS below which audio is poor. Default 3.5.',
  'quality.frozenFair': 'Frozen share (0-1) of a window from which inbound video is fair. Default 0.01.',
  'quality.frozenPoor': 'Frozen share (0-1) of a window from which inbound video is poor. Default 0.05.',
  'quality.concealmentFair': 'Concealed share (0-1) of audio samples from which inbound audio is fair. Default 0.02.',
  'quality.concealmentPoor': 'Concealed share (0-1) of audio samples from which inbound audio is poor. Default 0.08.',
  selfMetrics: "Push the exporter's own health metrics.",
  debugLogging: 'Verbose logging to the background console.',
  reliability: 'Thresholds and caps of the reliability machinery.',
  'reliability.breakerFailureThreshold': 'Consecutive failed pushes that open the network circuit breaker.',
  'reliability.halfOpenInitialDelayMs': 'First delay before a trial push after the breaker opens, in milliseconds.',
  'reliability.halfOpenMaxDelayMs': 'Longest delay between trial pushes while the breaker is open, in milliseconds.',
  'reliability.requestTimeoutMs': 'Time one request to the gateway may take, in milliseconds.',
  'reliability.outboxMaxGroups': 'Most Pushgateway groups held while the gateway is unreachable.',
  'reliability.outboxMaxBytes': 'Most bytes of metrics held while the gateway is unreachable.',
  'reliability.queueMaxSize': "Most reports waiting in the background's message queue.",
  'reliability.maxConnectionsPerTab': 'Most live peer connections tracked per tab.',
  'reliability.maxConnectionsTotal': 'Most live peer connections tracked in total.',
  'reliability.maxStatsPerReport': 'Most stats objects accepted in one report.',
  'reliability.maxSeriesPerPush': 'Most series in one push.',
  'reliability.maxReportsPerTabPerSecond': 'Reports per second one tab may send.',
  'reliability.staleConnectionMs': 'A connection with no report for this long is ended, in milliseconds.',
  'reliability.failedConnectionTimeoutMs': 'A connection stuck in failed or disconnected this long is ended, in milliseconds.',
  'reliability.sampleBufferMaxBytes': 'Most bytes of samples the remote-write buffer holds while the receiver is unreachable (oldest dropped first). Default 4000000.',
  'reliability.sampleBufferMaxAgeMs': 'Samples older than this are dropped from the remote-write buffer, in milliseconds. Default 3600000.',
};

// Chrome's policy schema is a subset of JSON Schema (draft 3 style); other keywords are left out.
// `additionalProperties` describes a map's values (remoteWrite.staticLabels); Chrome accepts it.
const CHROME_SCHEMA_KEYS = new Set(['type', 'properties', 'additionalProperties', 'items', 'enum', 'minimum', 'maximum', 'description', 'title']);

function toChromeSchema(node: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (path && DESCRIPTIONS[path]) out.description = DESCRIPTIONS[path];
  for (const [key, value] of Object.entries(node)) {
    if (!CHROME_SCHEMA_KEYS.has(key) || key === 'description') continue;
    // Chrome accepts minimum/maximum on integers only: on a number the whole schema is refused
    // and the extension does not load. The zod schema still bounds the value.
    if ((key === 'minimum' || key === 'maximum') && node.type === 'number') continue;
    if (key === 'properties' && isPlainObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value)
          .filter(([name]) => !(path === '' && name === 'version'))
          .map(([name, child]) => [
            name,
            toChromeSchema(child as Record<string, unknown>, path ? `${path}.${name}` : name),
          ]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isPlainObject(value)) {
      out[key] = toChromeSchema(value, '');
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The schema Chrome needs (`storage.managed_schema` in the manifest) for admins to set policy:
 * the settings' own shape, generated from the zod schema so the two cannot drift; a unit test
 * checks that public/managed_schema.json equals it.
 */
export function buildManagedSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(settingsSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return toChromeSchema(json, '');
}

/** Every dotted settings path the managed schema documents (leaves and arrays). */
export function managedDescriptionPaths(): string[] {
  return Object.keys(DESCRIPTIONS);
}
