import { z } from 'zod';
import { CONNECTION_STATES } from './connection-states';

/** Longest hook-assigned connection id accepted from a page. */
export const MAX_PC_ID_LENGTH = 64;
/** Longest string value of a stats field that is kept; longer ones are dropped from the object. */
export const MAX_STAT_STRING_LENGTH = 256;
/** Most fields one stats object may carry. */
export const MAX_FIELDS_PER_STAT = 200;
/** Hard ceiling on stats objects in one report, whatever the settings say. */
export const MAX_STATS_PER_REPORT_CEILING = 5_000;

const statValueSchema = z.union([
  z.number(),
  z.string().max(MAX_STAT_STRING_LENGTH),
  z.boolean(),
  // e.g. outbound-rtp `qualityLimitationDurations`: a record of numbers.
  z.record(z.string().max(64), z.number()),
]);

/** One `RTCStats` object as the hook forwards it: flat primitives, plus records of numbers. */
export const rtcStatSchema = z
  .object({
    id: z.string().max(MAX_STAT_STRING_LENGTH),
    type: z.string().max(64),
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
export const endReasonSchema = z.enum(['closed', 'failed-timeout', 'pagehide', 'stopped', 'collected']);
export type EndReason = z.infer<typeof endReasonSchema>;

/** The hook's report of one connection: its latest stats, or that it ended. */
export const hookReportSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('stats'),
    pcId: z.string().min(1).max(MAX_PC_ID_LENGTH),
    seq: z.number().int().nonnegative(),
    state: connectionStateSchema,
    stats: z.array(rtcStatSchema).max(MAX_STATS_PER_REPORT_CEILING),
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
