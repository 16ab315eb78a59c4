/**
 * Call start/end churn of simulated agents: how long calls and the gaps between them last. A
 * contact-centre agent takes call after call; each call's series are new (a new `call_id` and new
 * connection ids), so call length sets the series churn a target must absorb.
 */

/** Options of {@link createCallSchedule}. */
export interface CallScheduleOptions {
  /** Mean call length, seconds. Lengths are uniform in 0.5–1.5 × the mean. */
  meanCallSeconds: number;
  /** Mean gap between two calls of an agent, seconds (uniform in 0.5–1.5 × the mean). */
  meanGapSeconds: number;
  /** Random numbers in [0, 1); a seeded one (tests/unit/storage/seeded-random.ts) makes a run repeatable. Default Math.random. */
  random?: () => number;
}

/** Where a newly added agent is in its day: in a call that ends after `remainingMs`, or in a gap. */
export type InitialPhase = { inCall: true; elapsedMs: number; remainingMs: number } | { inCall: false; remainingMs: number };

/** Creates the schedule; throws on a mean that is not a positive number. */
export function createCallSchedule(options: CallScheduleOptions) {
  for (const [name, value] of [['meanCallSeconds', options.meanCallSeconds], ['meanGapSeconds', options.meanGapSeconds]] as const) {
    if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number of seconds (got ${value})`);
  }
  const random = options.random ?? Math.random;
  const around = (meanSeconds: number) => (0.5 + random()) * meanSeconds * 1000;
  const callShare = options.meanCallSeconds / (options.meanCallSeconds + options.meanGapSeconds);
  return {
    random,
    callMs: () => around(options.meanCallSeconds),
    gapMs: () => around(options.meanGapSeconds),
    /**
     * A steady-state phase for an agent that joins the run: in a call with the share of time
     * agents spend in calls, part-way through it; else part-way through a gap. So adding agents
     * does not start all their calls (and all their series) at the same instant.
     */
    initialPhase(): InitialPhase {
      if (random() < callShare) {
        const length = around(options.meanCallSeconds);
        const elapsedMs = random() * length;
        return { inCall: true, elapsedMs, remainingMs: length - elapsedMs };
      }
      return { inCall: false, remainingMs: random() * around(options.meanGapSeconds) };
    },
    /** Calls each agent ends per hour on average (for the churn arithmetic). */
    callsPerAgentHour: () => 3600 / (options.meanCallSeconds + options.meanGapSeconds),
  };
}
export type CallSchedule = ReturnType<typeof createCallSchedule>;
