/**
 * Limits the page hook applies before anything leaves the page. They mirror the bounds of
 * report-schema.ts and hook-config.ts, copied here because importing those modules would pull
 * zod into the hook's bundle; a unit test keeps the copies equal.
 */
export const HOOK_LIMITS = {
  /** Longest string value of a stats field that is kept (MAX_STAT_STRING_LENGTH). */
  maxStatStringLength: 256,
  /** Most fields one stats object may carry (MAX_FIELDS_PER_STAT). */
  maxFieldsPerStat: 200,
  /** Longest key of a record-of-numbers field such as `qualityLimitationDurations`. */
  maxRecordKeyLength: 64,
  /** Longest `type` of a stats object. */
  maxStatTypeLength: 64,
  /** Hard ceiling on stats objects in one report (MAX_STATS_PER_REPORT_CEILING). */
  maxStatsPerReportCeiling: 5_000,
  /** Polling interval bounds (hookConfigSchema.intervalMs). */
  minIntervalMs: 250,
  maxIntervalMs: 600_000,
  /** Shortest failed/disconnected timeout (hookConfigSchema.failedConnectionTimeoutMs). */
  minFailedConnectionTimeoutMs: 1_000,
  /**
   * Most connections the hook tracks per frame, whatever the config says; also the cap that
   * applies before any config has arrived. Equal to the settings' maxConnectionsPerTab maximum.
   */
  maxTrackedConnections: 1_000,
  /** Most stats types a config may list (there are 14 in the spec). */
  maxStatsTypes: 32,
  /** Most reports the hook puts in one hookReports message; the relay rejects bigger batches. */
  maxReportsPerBatch: 50,
  /** Longest `heldMs` a snapshot may carry (MAX_HELD_MS). */
  maxHeldMs: 10_000,
  /** hookReports messages left unanswered after which the hook stops polling until the relay answers. */
  maxUnansweredBatches: 3,
} as const;
