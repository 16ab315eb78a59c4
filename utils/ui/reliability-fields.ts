import { reliabilitySchema, type ReliabilitySettings } from '../settings/settings-schema';

export type ReliabilityKey = keyof ReliabilitySettings;

/** What the options page shows for one reliability threshold. */
export interface ReliabilityField {
  key: ReliabilityKey;
  label: string;
  unit: string;
  help: string;
  defaultValue: number;
  min: number | undefined;
  max: number | undefined;
}

// A Record over every key: adding a field to reliabilitySchema without a label fails to compile.
const TEXT: Record<ReliabilityKey, { label: string; unit: string; help: string }> = {
  breakerFailureThreshold: {
    label: 'Failed pushes before pausing',
    unit: 'pushes',
    help: 'Consecutive failed pushes that open the circuit breaker and pause pushing.',
  },
  halfOpenInitialDelayMs: {
    label: 'First retry after pausing',
    unit: 'ms',
    help: 'Wait before the first trial push once the breaker has opened.',
  },
  halfOpenMaxDelayMs: {
    label: 'Longest retry delay',
    unit: 'ms',
    help: 'The wait between trial pushes grows up to this.',
  },
  requestTimeoutMs: {
    label: 'Request timeout',
    unit: 'ms',
    help: 'A request to the gateway taking longer is aborted and counts as failed.',
  },
  outboxMaxGroups: {
    label: 'Outbox groups',
    unit: 'groups',
    help: 'Most connections waiting to be pushed; the least recently updated is dropped past it.',
  },
  outboxMaxBytes: {
    label: 'Outbox size',
    unit: 'bytes',
    help: 'Most metric text held while the gateway is unreachable.',
  },
  queueMaxSize: {
    label: 'Message queue',
    unit: 'reports',
    help: 'Most reports waiting to be processed by the background.',
  },
  maxConnectionsPerTab: {
    label: 'Connections per tab',
    unit: 'connections',
    help: 'Most live connections tracked in one tab; the oldest is evicted past it.',
  },
  maxConnectionsTotal: {
    label: 'Connections in total',
    unit: 'connections',
    help: 'Most live connections tracked across all tabs.',
  },
  maxStatsPerReport: {
    label: 'Stats per report',
    unit: 'objects',
    help: 'Most stats objects accepted from one getStats() report.',
  },
  maxSeriesPerPush: {
    label: 'Series per push',
    unit: 'series',
    help: 'Most time series in one push; the rest are dropped and counted.',
  },
  maxReportsPerTabPerSecond: {
    label: 'Reports per tab per second',
    unit: 'per s',
    help: 'A tab sending faster is throttled; the excess is dropped and counted.',
  },
  staleConnectionMs: {
    label: 'Silent connection ends after',
    unit: 'ms',
    help: 'A connection with no report for this long is ended and its group deleted.',
  },
  failedConnectionTimeoutMs: {
    label: 'Failed connection ends after',
    unit: 'ms',
    help: 'A connection stuck in failed or disconnected this long is ended.',
  },
  sampleBufferMaxBytes: {
    label: 'Remote-write buffer size',
    unit: 'bytes',
    help: 'Most samples held while the remote-write receiver is unreachable; the oldest go first past it.',
  },
  sampleBufferMaxAgeMs: {
    label: 'Remote-write buffer age',
    unit: 'ms',
    help: 'Samples older than this are dropped from the remote-write buffer.',
  },
};

interface NumberBounds {
  minValue?: number | null;
  maxValue?: number | null;
}

function bounds(key: ReliabilityKey): { min: number | undefined; max: number | undefined } {
  const inner = reliabilitySchema.shape[key].unwrap() as unknown as NumberBounds;
  return { min: inner.minValue ?? undefined, max: inner.maxValue ?? undefined };
}

/** Every reliability threshold with its label, unit, default and bounds, in schema order. */
export function reliabilityFields(): ReliabilityField[] {
  const defaults = reliabilitySchema.parse({});
  return (Object.keys(reliabilitySchema.shape) as ReliabilityKey[]).map((key) => ({
    key,
    ...TEXT[key],
    defaultValue: defaults[key],
    ...bounds(key),
  }));
}
