import { z } from 'zod';
import { statsTypeSchema } from '../settings/settings-schema';

/**
 * All the page hook is ever told: whether to capture, how often, which stats types and the
 * limits it applies. Never the gateway URL, credentials or agent id: the page can read it.
 */
export const hookConfigSchema = z.object({
  enabled: z.boolean(),
  intervalMs: z.number().int().min(250).max(600_000),
  statsTypes: z.array(statsTypeSchema),
  failedConnectionTimeoutMs: z.number().int().min(1_000),
  maxStatsPerReport: z.number().int().min(1),
  maxConnections: z.number().int().min(1),
});
export type HookConfig = z.infer<typeof hookConfigSchema>;
