import { z } from 'zod';
import { BUILTIN_PLATFORM_IDS } from '../platforms/builtin-platforms';
import { qualityThresholdsSchema, type QualityThresholds } from '../quality/quality-types';

/**
 * Current version of the stored settings layout; migrations bring older layouts up to it.
 * 2: `namingMode` became `exportProfile` (settings-repair.ts migrates it).
 */
export const SETTINGS_VERSION = 2;

/** Every `RTCStatsType` of the W3C webrtc-stats spec that the hook can forward. */
export const STATS_TYPES = [
  'codec',
  'inbound-rtp',
  'outbound-rtp',
  'remote-inbound-rtp',
  'remote-outbound-rtp',
  'media-source',
  'media-playout',
  'peer-connection',
  'data-channel',
  'transport',
  'candidate-pair',
  'local-candidate',
  'remote-candidate',
  'certificate',
] as const;
export const statsTypeSchema = z.enum(STATS_TYPES);
export type StatsType = z.infer<typeof statsTypeSchema>;

/** Stats types forwarded when the user has not chosen: what call-quality dashboards need. */
export const DEFAULT_STATS_TYPES: StatsType[] = [
  'inbound-rtp',
  'outbound-rtp',
  'remote-inbound-rtp',
  'remote-outbound-rtp',
  'media-source',
  'candidate-pair',
  'peer-connection',
  'transport',
];

/** An optional http(s) URL; `example` is named in the message when it is not one. */
function httpUrlSchema(example: string) {
  return z
    .string()
    .trim()
    .refine((value) => value === '' || isHttpUrl(value), { message: `Enter an http:// or https:// URL, e.g. ${example}` });
}
const gatewayUrlSchema = httpUrlSchema('https://pushgateway.example.com:9091');

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * A custom origin as a match pattern (`https://calls.example.com/*`, `https://*.example.com/*`)
 * or a plain origin (`https://calls.example.com`), which is turned into a pattern.
 */
export const customOriginSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const pattern = toMatchPattern(value);
    if (!pattern) {
      ctx.addIssue({
        code: 'custom',
        message:
          'Use an origin such as https://calls.example.com or a pattern such as https://*.example.com/*',
      });
      return z.NEVER;
    }
    return pattern;
  });

const MATCH_PATTERN = /^(https?|\*):\/\/(\*|\*\.[^/*:]+|[^/*:]+)(:\d+)?\/.*$/;

/** Turns an origin or match pattern into a match pattern, or undefined when it is not one. */
export function toMatchPattern(value: string): string | undefined {
  const trimmed = value.trim();
  if (/^(https?):\/\/[^/*]+\/?$/.test(trimmed)) {
    try {
      const url = new URL(trimmed);
      return `${url.protocol}//${url.hostname}/*`;
    } catch {
      return undefined;
    }
  }
  if (MATCH_PATTERN.test(trimmed)) return stripPort(trimmed);
  return undefined;
}

// Match patterns ignore ports; a port in a pattern is rejected by the browser.
function stripPort(pattern: string): string {
  return pattern.replace(/^([^:]+:\/\/[^/:]+):\d+/, '$1');
}

/** Thresholds and caps for the reliability machinery; all editable in the options page. */
export const reliabilitySchema = z.object({
  /** Consecutive failed pushes that open the network circuit breaker. Default 5. */
  breakerFailureThreshold: z.number().int().min(1).max(100).default(5),
  /** First half-open delay after the breaker opens, in ms. Default 1,000. */
  halfOpenInitialDelayMs: z.number().int().min(100).max(600_000).default(1_000),
  /** Longest half-open delay the exponential backoff grows to, in ms. Default 30,000. */
  halfOpenMaxDelayMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /** Time a single request to the gateway may take before it is aborted, in ms. Default 5,000. */
  requestTimeoutMs: z.number().int().min(200).max(120_000).default(5_000),
  /** Most Pushgateway groups the outbox holds; the least recently updated is dropped past it. Default 500. */
  outboxMaxGroups: z.number().int().min(1).max(10_000).default(500),
  /** Most bytes of exposition text the outbox holds. Default 4,000,000. */
  outboxMaxBytes: z.number().int().min(10_000).max(50_000_000).default(4_000_000),
  /** Most reports waiting to be processed in the background's message queue. Default 200. */
  queueMaxSize: z.number().int().min(1).max(10_000).default(200),
  /** Most live peer connections tracked per tab; the oldest is evicted past it. Default 20. */
  maxConnectionsPerTab: z.number().int().min(1).max(1_000).default(20),
  /** Most live peer connections tracked in total. Default 200. */
  maxConnectionsTotal: z.number().int().min(1).max(10_000).default(200),
  /** Most stats objects accepted in one report; the rest are dropped and counted. Default 300. */
  maxStatsPerReport: z.number().int().min(1).max(5_000).default(300),
  /** Most series in one push body; the rest are dropped and counted. Default 5,000. */
  maxSeriesPerPush: z.number().int().min(10).max(100_000).default(5_000),
  /**
   * Relay messages per second one tab may send, all its frames together, before the rest are
   * dropped (and counted) unparsed; a message counts once per started 100 stats objects. Default 50.
   */
  maxReportsPerTabPerSecond: z.number().int().min(1).max(10_000).default(50),
  /** A connection with no report for this long is ended and its group deleted, in ms. Default 60,000. */
  staleConnectionMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
  /** A connection stuck in `failed` or `disconnected` this long is ended, in ms. Default 30,000. */
  failedConnectionTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
  /**
   * Most bytes of samples the remote-write buffer holds while the receiver is unreachable; the
   * oldest go first past it (counted). Default 4,000,000 (about 1 h of a 2-connection call at the
   * default push interval; storage.local holds 10 MB in all).
   */
  sampleBufferMaxBytes: z.number().int().min(10_000).max(50_000_000).default(4_000_000),
  /** Samples older than this are dropped from the remote-write buffer (counted), in ms. Default 3,600,000 (1 h). */
  sampleBufferMaxAgeMs: z.number().int().min(60_000).max(86_400_000).default(3_600_000),
});
export type ReliabilitySettings = z.infer<typeof reliabilitySchema>;

/** Where the page URL appears as a label: only its origin (default), its path without query, or not at all. */
export const urlLabelModeSchema = z.enum(['origin', 'path', 'off']);
/**
 * What is exported per connection: `quality` (default) the per-window quality gauges of
 * docs/metrics.md; `full` those plus the catalogued raw getStats() fields; `legacy` the older
 * exporters' names, unchanged, for existing dashboards.
 */
export const EXPORT_PROFILES = ['quality', 'full', 'legacy'] as const;
export const exportProfileSchema = z.enum(EXPORT_PROFILES);

/** Stale and failed timeouts must let this many polls go by, so that a slow poll never ends a live connection. */
export const STALE_MIN_POLLS = 3;
export const FAILED_MIN_POLLS = 2;

export const gatewaySchema = z.object({
  /** Pushgateway base URL (http or https). Default '' (not configured: nothing is pushed). */
  url: gatewayUrlSchema.default(''),
  /** Pushgateway job name. Default 'webrtc-internals-exporter' (what the older exporters used). */
  job: z
    .string()
    .trim()
    .min(1, 'The job name cannot be empty')
    .max(100)
    .default('webrtc-internals-exporter'),
  /** Basic-auth user name; empty means no auth. Default ''. */
  username: z.string().max(200).default(''),
  /** Basic-auth password. Default ''. */
  password: z.string().max(500).default(''),
  /** Send bodies gzip-compressed. Default true (docs/benchmarks.md: ~4x fewer bytes for ~0.2 ms of the worker's CPU per push). */
  gzip: z.boolean().default(true),
});

/** Where metrics go: a Pushgateway (default) or a Prometheus remote-write 1.0 receiver. */
export const SINKS = ['pushgateway', 'remote-write'] as const;
export const sinkSchema = z.enum(SINKS);
export type Sink = z.infer<typeof sinkSchema>;

/** How the remote-write receiver is authenticated. */
export const REMOTE_WRITE_AUTH = ['none', 'basic', 'bearer'] as const;

/** Most extra static labels; each becomes a label on every remote-write series. */
export const MAX_STATIC_LABELS = 10;
/** Longest static label value. */
export const MAX_STATIC_LABEL_VALUE = 128;
/**
 * Label names the exporter sets itself (docs/metrics.md) or that Prometheus reserves: a static
 * label of the same name would overwrite or clash with them, so it is refused.
 */
export const RESERVED_LABEL_NAMES: ReadonlySet<string> = new Set([
  'job',
  'instance',
  'agent_id',
  'platform',
  'origin',
  'page',
  'pageUrl',
  'call_id',
  'peer_connection_id',
  'peerConnectionId',
  'exporter_instance',
  'kind',
  'direction',
  'class',
  'reason',
  'quality_class',
  'ssrc',
  'le',
  'quantile',
]);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const staticLabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  const names = Object.keys(labels);
  if (names.length > MAX_STATIC_LABELS) {
    ctx.addIssue({ code: 'custom', message: `At most ${MAX_STATIC_LABELS} static labels` });
  }
  for (const name of names) {
    const value = labels[name]!;
    const problem = !LABEL_NAME.test(name)
      ? `"${name}" is not a label name: letters, digits and _ only, not starting with a digit`
      : name.startsWith('__')
        ? `"${name}": names starting with __ are reserved by Prometheus`
        : RESERVED_LABEL_NAMES.has(name)
          ? `"${name}" is set by the exporter itself; choose another name`
          : value.trim() === ''
            ? `"${name}" needs a value`
            : value.length > MAX_STATIC_LABEL_VALUE
              ? `The value of "${name}" is longer than ${MAX_STATIC_LABEL_VALUE} characters`
              : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
});

export const remoteWriteSchema = z
  .object({
    /** The receiver's remote-write endpoint, e.g. http://prometheus:9090/api/v1/write. Default '' (nothing is written). */
    url: httpUrlSchema('http://prometheus.example.com:9090/api/v1/write').default(''),
    /** 'none' (default), 'basic' (user name and password) or 'bearer' (a token). */
    auth: z.enum(REMOTE_WRITE_AUTH).default('none'),
    /** Basic-auth user name. Default ''. */
    username: z.string().max(200).default(''),
    /** Basic-auth password; kept in storage.local only, never synced. Default ''. */
    password: z.string().max(500).default(''),
    /** Bearer token; kept in storage.local only, never synced. Default ''. */
    bearerToken: z.string().max(4_000).default(''),
    /**
     * Extra labels put on every series written, e.g. `{ "site": "paris" }`. At most 10, names
     * letters/digits/_ and not one the exporter sets itself, values 1–128 characters. Default {}.
     */
    staticLabels: staticLabelsSchema.default({}),
  })
  .superRefine((value, ctx) => {
    if (value.auth === 'basic' && value.username.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'Basic auth needs a user name' });
    }
    if (value.auth === 'bearer' && value.bearerToken.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['bearerToken'], message: 'Bearer auth needs a token' });
    }
  });
export type RemoteWriteSettings = z.infer<typeof remoteWriteSchema>;

const platformsSchema = z.object(
  Object.fromEntries(BUILTIN_PLATFORM_IDS.map((id) => [id, z.boolean().default(true)])) as Record<
    (typeof BUILTIN_PLATFORM_IDS)[number],
    z.ZodDefault<z.ZodBoolean>
  >,
);

export const settingsSchema = z.object({
  /** Layout version for migrations. Default SETTINGS_VERSION. */
  version: z.literal(SETTINGS_VERSION).default(SETTINGS_VERSION),
  /** Where metrics go: 'pushgateway' (default) or 'remote-write' (README "Remote-write"). */
  sink: sinkSchema.default('pushgateway'),
  gateway: gatewaySchema.default(gatewaySchema.parse({})),
  /** The remote-write receiver, used when `sink` is 'remote-write'. */
  remoteWrite: remoteWriteSchema.default(remoteWriteSchema.parse({})),
  /** Agent id, added as the `agent_id` label to every series. Default '' (label omitted). */
  agentId: z.string().trim().max(128).default(''),
  /** Interval between two `getStats()` polls of a connection, in ms. Default 2,000 (min 250). */
  intervalMs: z.number().int().min(250).max(600_000).default(2_000),
  /** Stats types forwarded and exported. Default DEFAULT_STATS_TYPES. */
  statsTypes: z.array(statsTypeSchema).max(STATS_TYPES.length).default(DEFAULT_STATS_TYPES),
  /** Built-in platforms on or off. Default: all on. */
  platforms: platformsSchema.default(platformsSchema.parse({})),
  /** Extra origins to capture on, as match patterns. Default []. */
  customOrigins: z.array(customOriginSchema).max(100).default([]),
  /** Explicitly disabled origins (exact origins, e.g. from the popup toggle). Default []. */
  disabledOrigins: z.array(z.string().max(300)).max(500).default([]),
  /** How the page URL appears in labels. Default 'origin'. */
  urlLabelMode: urlLabelModeSchema.default('origin'),
  /**
   * Interval between two pushes of a connection's group, in ms: each push carries the quality of
   * the window since the previous one. Never shorter than `intervalMs`. Default 10,000 (Prometheus
   * scrapes every 15–60 s, so faster pushes are mostly never seen).
   */
  pushIntervalMs: z.number().int().min(250).max(600_000).default(10_000),
  /** What is exported per connection (see EXPORT_PROFILES). Default 'quality'. */
  exportProfile: exportProfileSchema.default('quality'),
  /** Thresholds that classify a window good / fair / poor (options page, Quality). Defaults in quality-types.ts. */
  quality: qualityThresholdsSchema
    .superRefine(checkThresholdOrder)
    .default(qualityThresholdsSchema.parse({})),
  /** Push the exporter's own health metrics in their own group. Default true. */
  selfMetrics: z.boolean().default(true),
  /** Verbose logging to the background console. Default false. */
  debugLogging: z.boolean().default(false),
  reliability: reliabilitySchema.default(reliabilitySchema.parse({})),
}).superRefine(checkIntervals);

/** Pairs of thresholds where the fair one must not be past the poor one (MOS: higher is better). */
const THRESHOLD_PAIRS: ReadonlyArray<readonly [fair: keyof QualityThresholds, poor: keyof QualityThresholds, higherIsWorse: boolean]> = [
  ['lossFair', 'lossPoor', true],
  ['rttFairSeconds', 'rttPoorSeconds', true],
  ['jitterFairSeconds', 'jitterPoorSeconds', true],
  ['mosFair', 'mosPoor', false],
  ['frozenFair', 'frozenPoor', true],
  ['concealmentFair', 'concealmentPoor', true],
];

// A fair threshold past the poor one would make "poor" unreachable or skip "fair": reported at the poor field.
function checkThresholdOrder(value: QualityThresholds, ctx: z.RefinementCtx): void {
  for (const [fair, poor, higherIsWorse] of THRESHOLD_PAIRS) {
    const ordered = higherIsWorse ? value[fair] <= value[poor] : value[fair] >= value[poor];
    if (ordered) continue;
    ctx.addIssue({
      code: 'custom',
      path: [poor],
      message: higherIsWorse
        ? 'The poor threshold must be at or above the fair one'
        : 'The poor MOS must be at or below the fair one',
    });
  }
}

/**
 * Settings that only make sense together (issue 10 item 11): a push interval shorter than the
 * poll interval would push the same window twice; a stale or failed timeout shorter than a few
 * polls would end every live connection between two reports and recreate it under a new id.
 */
function checkIntervals(value: { intervalMs: number; pushIntervalMs: number; reliability: ReliabilitySettings }, ctx: z.RefinementCtx): void {
  const seconds = (ms: number) => `${(ms / 1000).toLocaleString('en-US')} s`;
  if (value.pushIntervalMs < value.intervalMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['pushIntervalMs'],
      message: `The push interval cannot be shorter than the poll interval (${seconds(value.intervalMs)})`,
    });
  }
  const { staleConnectionMs, failedConnectionTimeoutMs } = value.reliability;
  if (staleConnectionMs < STALE_MIN_POLLS * value.intervalMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['reliability', 'staleConnectionMs'],
      message: `Must be at least ${STALE_MIN_POLLS} poll intervals (${seconds(STALE_MIN_POLLS * value.intervalMs)}), or every connection goes stale between two polls`,
    });
  }
  if (failedConnectionTimeoutMs < FAILED_MIN_POLLS * value.intervalMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['reliability', 'failedConnectionTimeoutMs'],
      message: `Must be at least ${FAILED_MIN_POLLS} poll intervals (${seconds(FAILED_MIN_POLLS * value.intervalMs)})`,
    });
  }
}

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type UrlLabelMode = z.infer<typeof urlLabelModeSchema>;
export type ExportProfile = z.infer<typeof exportProfileSchema>;

/** The settings every new install starts with. */
export function defaultSettings(): Settings {
  return settingsSchema.parse({});
}
