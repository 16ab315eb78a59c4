/**
 * Bounds and enumerations of the hook's reports, in one zod-free module: the relay checks page
 * reports against them without loading zod into every captured frame (report-batch-validator.ts),
 * and the background's zod schema (report-schema.ts) is built from the same values.
 */

/** Longest hook-assigned connection id accepted from a page. */
export const MAX_PC_ID_LENGTH = 64;
/** Longest string value of a stats field that is kept; longer ones are dropped from the object. */
export const MAX_STAT_STRING_LENGTH = 256;
/** Longest stats `type`, and longest key of a record-valued field (e.g. `qualityLimitationDurations`). */
export const MAX_STAT_KEY_LENGTH = 64;
/** Most fields one stats object may carry. */
export const MAX_FIELDS_PER_STAT = 200;
/** Hard ceiling on stats objects in one report, whatever the settings say. */
export const MAX_STATS_PER_REPORT_CEILING = 5_000;
/**
 * Longest a stats snapshot may say it waited in the hook before it was sent (`heldMs`), ms. The
 * hook holds snapshots for its report interval (1 s at most as configured); the background dates
 * a snapshot by its arrival minus this, never earlier than the connection's previous one.
 */
export const MAX_HELD_MS = 10_000;
/** Why the hook ended a connection. */
export const END_REASONS = ['closed', 'failed-timeout', 'pagehide', 'stopped', 'collected'] as const;
