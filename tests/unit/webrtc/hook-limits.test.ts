import { describe, expect, it } from 'vitest';
import { HOOK_LIMITS } from '@/utils/webrtc/hook-limits';
import {
  MAX_FIELDS_PER_STAT,
  MAX_HELD_MS,
  MAX_PC_ID_LENGTH,
  MAX_STATS_PER_REPORT_CEILING,
  MAX_STAT_STRING_LENGTH,
} from '@/utils/webrtc/report-schema';
import { hookConfigSchema } from '@/utils/messaging/hook-config';
import { reliabilitySchema } from '@/utils/settings/settings-schema';
import { MAX_REPORTS_PER_BATCH } from '@/utils/webrtc/report-batch-validator';

describe('HOOK_LIMITS', () => {
  it('mirrors the report schema bounds the hook cannot import without zod', () => {
    expect(HOOK_LIMITS.maxStatStringLength).toBe(MAX_STAT_STRING_LENGTH);
    expect(HOOK_LIMITS.maxFieldsPerStat).toBe(MAX_FIELDS_PER_STAT);
    expect(HOOK_LIMITS.maxStatsPerReportCeiling).toBe(MAX_STATS_PER_REPORT_CEILING);
    expect(HOOK_LIMITS.maxHeldMs).toBe(MAX_HELD_MS);
    // pcIds are prefix (9) + base36 counter: far below the schema's limit.
    expect(9 + Number.MAX_SAFE_INTEGER.toString(36).length).toBeLessThanOrEqual(MAX_PC_ID_LENGTH);
  });

  it('mirrors the hook config schema bounds', () => {
    const shape = hookConfigSchema.shape;
    expect(shape.intervalMs.minValue).toBe(HOOK_LIMITS.minIntervalMs);
    expect(shape.intervalMs.maxValue).toBe(HOOK_LIMITS.maxIntervalMs);
    expect(shape.failedConnectionTimeoutMs.minValue).toBe(HOOK_LIMITS.minFailedConnectionTimeoutMs);
    expect(reliabilitySchema.shape.maxConnectionsPerTab.unwrap().maxValue).toBe(HOOK_LIMITS.maxTrackedConnections);
  });

  it('sends batches the relay accepts', () => {
    expect(HOOK_LIMITS.maxReportsPerBatch).toBeLessThanOrEqual(MAX_REPORTS_PER_BATCH);
  });
});
