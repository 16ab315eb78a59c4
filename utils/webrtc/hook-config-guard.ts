import type { HookConfig } from '../messaging/hook-config';
import { HOOK_LIMITS } from './hook-limits';

/**
 * Reads a hook configuration that arrived over the page channel, where the page itself can
 * forge one. Cheap typeof checks instead of zod keep the hook bundle small; anything out of the
 * schema's bounds is rejected whole (returns null), so a forged config can at worst change
 * polling within those bounds.
 */
export function readHookConfig(value: unknown): HookConfig | null {
  if (typeof value !== 'object' || value === null) return null;
  const input = value as Record<string, unknown>;
  const { enabled, intervalMs, statsTypes, failedConnectionTimeoutMs, maxStatsPerReport, maxConnections } = input;
  if (typeof enabled !== 'boolean') return null;
  if (!isIntIn(intervalMs, HOOK_LIMITS.minIntervalMs, HOOK_LIMITS.maxIntervalMs)) return null;
  if (!isIntIn(failedConnectionTimeoutMs, HOOK_LIMITS.minFailedConnectionTimeoutMs, Number.MAX_SAFE_INTEGER)) return null;
  if (!isIntIn(maxStatsPerReport, 1, Number.MAX_SAFE_INTEGER)) return null;
  if (!isIntIn(maxConnections, 1, Number.MAX_SAFE_INTEGER)) return null;
  if (!Array.isArray(statsTypes) || statsTypes.length > HOOK_LIMITS.maxStatsTypes) return null;
  const types: string[] = [];
  for (const type of statsTypes) {
    if (typeof type !== 'string' || type.length > HOOK_LIMITS.maxStatTypeLength) return null;
    types.push(type);
  }
  const statsFields = readStatsFields(input.statsFields);
  if (statsFields === null) return null;
  const { reportIntervalMs, selectedPairOnly } = input;
  if (reportIntervalMs !== undefined && !isIntIn(reportIntervalMs, HOOK_LIMITS.minIntervalMs, HOOK_LIMITS.maxIntervalMs)) return null;
  if (selectedPairOnly !== undefined && typeof selectedPairOnly !== 'boolean') return null;
  return {
    ...(statsFields ? { statsFields } : {}),
    ...(selectedPairOnly !== undefined ? { selectedPairOnly } : {}),
    ...(reportIntervalMs !== undefined ? { reportIntervalMs } : {}),
    enabled,
    intervalMs,
    // The settings schema owns the list of valid types; an unknown one simply never matches.
    statsTypes: types as HookConfig['statsTypes'],
    failedConnectionTimeoutMs,
    maxStatsPerReport: Math.min(maxStatsPerReport, HOOK_LIMITS.maxStatsPerReportCeiling),
    maxConnections: Math.min(maxConnections, HOOK_LIMITS.maxTrackedConnections),
  };
}

/** The optional per-type field lists: undefined when absent, null when malformed. */
function readStatsFields(value: unknown): Record<string, string[]> | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > HOOK_LIMITS.maxStatsTypes) return null;
  // No prototype: a type named `__proto__` stays a key and can never be looked up by accident.
  const out = Object.create(null) as Record<string, string[]>;
  for (const [type, fields] of entries) {
    if (type.length > HOOK_LIMITS.maxStatTypeLength || !Array.isArray(fields) || fields.length > HOOK_LIMITS.maxFieldsPerStat) return null;
    const names: string[] = [];
    for (const field of fields) {
      if (typeof field !== 'string' || field.length > HOOK_LIMITS.maxRecordKeyLength) return null;
      names.push(field);
    }
    out[type] = names;
  }
  return out;
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
