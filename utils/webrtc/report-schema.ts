import { z } from 'zod';
import { CONNECTION_STATES } from './connection-states';
import {
  END_REASONS,
  MAX_FIELDS_PER_STAT,
  MAX_HELD_MS,
  MAX_PC_ID_LENGTH,
  MAX_STAT_KEY_LENGTH,
  MAX_STAT_STRING_LENGTH,
  MAX_STATS_PER_REPORT_CEILING,
} from './report-limits';

export { MAX_PC_ID_LENGTH, MAX_STAT_STRING_LENGTH, MAX_FIELDS_PER_STAT, MAX_STATS_PER_REPORT_CEILING, MAX_HELD_MS } from './report-limits';

const statValueSchema = z.union([
  z.number(),
  z.string().max(MAX_STAT_STRING_LENGTH),
  z.boolean(),
  // e.g. outbound-rtp `qualityLimitationDurations`: a record of numbers.
  z.record(z.string().max(MAX_STAT_KEY_LENGTH), z.number()),
]);

/** One `RTCStats` object as the hook forwards it: flat primitives, plus records of numbers. */
export const rtcStatSchema = z
  .object({
    id: z.string().max(MAX_STAT_STRING_LENGTH),
    type: z.string().max(MAX_STAT_KEY_LENGTH),
    timestamp: z.number(),
  })
  .catchall(statValueSchema)
  .refine((stat) => Object.keys(stat).length <= MAX_FIELDS_PER_STAT, {
    message: `a stats object may carry at most ${MAX_FIELDS_PER_STAT} fields`,
  });
export type RtcStat = z.infer<typeof rtcStatSchema>;

export const connectionStateSchema = z.enum(CONNECTION_STATES);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

/** Why the hook ended a connection. */
export const endReasonSchema = z.enum(END_REASONS);
export type EndReason = z.infer<typeof endReasonSchema>;

/** The hook's report of one connection: its latest stats, or that it ended. */
export const hookReportSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('stats'),
    pcId: z.string().min(1).max(MAX_PC_ID_LENGTH),
    seq: z.number().int().nonnegative(),
    state: connectionStateSchema,
    stats: z.array(rtcStatSchema).max(MAX_STATS_PER_REPORT_CEILING),
    /** How long the snapshot waited in the hook before it was sent, ms (absent: not held). */
    heldMs: z.number().int().min(0).max(MAX_HELD_MS).optional(),
  }),
  z.object({
    event: z.literal('ended'),
    pcId: z.string().min(1).max(MAX_PC_ID_LENGTH),
    seq: z.number().int().nonnegative(),
    reason: endReasonSchema,
  }),
]);
export type HookReport = z.infer<typeof hookReportSchema>;
export type StatsReport = Extract<HookReport, { event: 'stats' }>;
