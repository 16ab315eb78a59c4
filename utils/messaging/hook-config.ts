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
  /**
   * Per stats type, the only fields the hook copies (besides id, type and timestamp); a type not
   * listed keeps all its fields. Absent (the default): every field. Set in the `quality` export
   * profile, which reads a few fields only (QUALITY_STAT_FIELDS).
   */
  statsFields: z
    .record(z.string().max(64), z.array(z.string().max(64)).max(200))
    .refine((value) => Object.keys(value).length <= 32, 'at most 32 stats types')
    .optional(),
});
export type HookConfig = z.infer<typeof hookConfigSchema>;
