import { z } from 'zod';
import { statsTypeSchema } from '../settings/settings-schema';

/**
 * All the page hook is ever told: whether to capture, how often, which stats types and the
 * limits it applies. Never the gateway URL, credentials or agent id: the page can read it.
 */
export const hookConfigSchema = z.object({
  enabled: z.boolean(),
  intervalMs: z.number().int().min(250).max(600_000),
  /**
   * How often the hook hands its reports to the relay, ms: the snapshots of the polls in between
   * wait and leave together, every one of them (a connection's first snapshot and `ended` leave at
   * once). Absent: every poll. Set by hookConfigFor to the poll interval, raised towards the push
   * interval up to 1 s (HOOK_REPORT_INTERVAL_CAP_MS): each message across the page/extension boundary
   * costs the page's main thread more than the snapshots it carries (docs/benchmarks.md).
   */
  reportIntervalMs: z.number().int().min(250).max(600_000).optional(),
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
  /**
   * Send only the candidate pairs media flows on (selectedCandidatePairs), not every pair. Absent
   * (the default): every pair. Set in the `quality` profile, whose engine reads only those.
   */
  selectedPairOnly: z.boolean().optional(),
});
export type HookConfig = z.infer<typeof hookConfigSchema>;
