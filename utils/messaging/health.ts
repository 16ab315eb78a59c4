import { z } from 'zod';

/** Circuit-breaker states as shown to the user. */
export const breakerStateSchema = z.enum(['closed', 'open', 'half-open', 'isolated']);
export type BreakerStateName = z.infer<typeof breakerStateSchema>;

/** The last error the gateway (or the network) gave, with the gateway's own message. */
export const gatewayErrorSchema = z.object({
  at: z.number(),
  /** HTTP status, or absent for network failures and timeouts. */
  status: z.number().optional(),
  /** 'http' for an answer, 'timeout', 'network' for no answer. */
  kind: z.enum(['http', 'timeout', 'network', 'config']),
  message: z.string(),
  groupId: z.string().optional(),
});
export type GatewayError = z.infer<typeof gatewayErrorSchema>;

export const deliveryHealthSchema = z.object({
  configured: z.boolean(),
  breaker: breakerStateSchema,
  breakerSince: z.number(),
  outboxGroups: z.number(),
  outboxBytes: z.number(),
  pendingDeletes: z.number(),
  pushesOk: z.number(),
  pushesFailed: z.number(),
  deletesOk: z.number(),
  lastAttemptAt: z.number().nullable(),
  lastSuccessAt: z.number().nullable(),
  lastError: gatewayErrorSchema.nullable(),
  /** Groups whose last push got a 4xx: they are not retried until their next snapshot. */
  rejectedGroups: z.number(),
});
export type DeliveryHealth = z.infer<typeof deliveryHealthSchema>;

export const storageHealthSchema = z.object({
  /** Where settings live now: sync, its local fallback, or memory only (nothing persists). */
  tier: z.enum(['sync', 'local', 'memory']),
  breaker: breakerStateSchema,
  failures: z.number(),
  lastError: z.string().nullable(),
});

export const integrityHealthSchema = z.object({
  lastRunAt: z.number().nullable(),
  /** What the last checks found and repaired, by kind (e.g. invalid-entry, closed-tab, stale). */
  repaired: z.record(z.string(), z.number()),
  /** Settings fields that were invalid in storage and replaced by defaults. */
  invalidSettingsFields: z.array(z.string()),
});

/** The background's whole state as the popup and options page show it. */
export const healthSchema = z.object({
  status: z.enum(['starting', 'running', 'degraded']),
  degradedReasons: z.array(z.string()),
  startedAt: z.number(),
  connections: z.object({ total: z.number(), tabs: z.number() }),
  delivery: deliveryHealthSchema,
  storage: storageHealthSchema,
  integrity: integrityHealthSchema,
  /** Everything dropped, rejected or evicted, by reason. */
  drops: z.record(z.string(), z.number()),
  reportsAccepted: z.number(),
  /** Every bounded collection of the background: its size, its cap and what it evicted (resource manager). */
  resources: z.record(z.string(), z.object({ size: z.number(), cap: z.number(), evicted: z.number() })).optional(),
  /** Risks in the current configuration that do not stop export (e.g. basic auth over clear-text http). */
  warnings: z.array(z.string()).optional(),
});
export type Health = z.infer<typeof healthSchema>;
