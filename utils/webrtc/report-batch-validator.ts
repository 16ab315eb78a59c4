import type { HookReport, RtcStat } from './report-schema';
import { CONNECTION_STATES } from './connection-states';
import * as limits from './report-limits';

/** Most reports the relay accepts in one hookReports message from the page. */
export const MAX_REPORTS_PER_BATCH = 100;
/**
 * Most characters of one message from the page (its JSON text, so also the most bytes of the
 * reports it carries); the page channel drops longer ones unparsed, so the relay never
 * serializes a report again to measure it.
 */
export const MAX_BATCH_BYTES = 1_000_000;

export type BatchValidation =
  | { ok: true; reports: HookReport[] }
  | { ok: false; reason: 'not-array' | 'too-many' | 'invalid'; detail?: string };

const STATES: ReadonlySet<string> = new Set(CONNECTION_STATES);
const REASONS: ReadonlySet<string> = new Set(limits.END_REASONS);

/** Thrown inside the walk; carries what was wrong to the caller's `detail`. */
class Invalid extends Error {}

/**
 * Validates one hookReports message from the page (which can forge it), in the relay. Cheap
 * checks first (array, count; the page channel bounded its size), then every report must match the report schema
 * (report-schema.ts, whose rules this mirrors without zod: zod and its schemas would load into
 * every captured frame, ~1 MB of heap each; the background validates again with zod anyway), or
 * the batch is rejected whole. `data` is what JSON.parse made of the page's message: plain data,
 * no getters or prototypes a page could have set. Returns fresh reports holding only the known
 * report keys; their stats objects are the checked ones themselves, not copies (the relay's
 * hottest code: a copy of every field cost more than the check, docs/benchmarks.md).
 */
export function validateHookBatch(data: unknown): BatchValidation {
  if (!Array.isArray(data)) return { ok: false, reason: 'not-array' };
  if (data.length > MAX_REPORTS_PER_BATCH) return { ok: false, reason: 'too-many' };
  try {
    return { ok: true, reports: (data as unknown[]).map(readReport) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, reason: 'invalid', detail: error.message };
    throw error;
  }
}

function readReport(value: unknown): HookReport {
  const input = record(value, 'a report');
  const event = input.event;
  const pcId = input.pcId;
  const seq = input.seq;
  if (typeof pcId !== 'string' || pcId.length < 1 || pcId.length > limits.MAX_PC_ID_LENGTH) throw new Invalid(`pcId: a string of 1 to ${limits.MAX_PC_ID_LENGTH} characters`);
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new Invalid('seq: a non-negative integer');
  if (event === 'ended') {
    const reason = input.reason;
    if (typeof reason !== 'string' || !REASONS.has(reason)) throw new Invalid('reason: not an end reason');
    return { event, pcId, seq, reason: reason as Extract<HookReport, { event: 'ended' }>['reason'] };
  }
  if (event !== 'stats') throw new Invalid('event: "stats" or "ended"');
  const state = input.state;
  if (typeof state !== 'string' || !STATES.has(state)) throw new Invalid('state: not a connection state');
  const stats = input.stats;
  if (!Array.isArray(stats) || stats.length > limits.MAX_STATS_PER_REPORT_CEILING) throw new Invalid(`stats: an array of at most ${limits.MAX_STATS_PER_REPORT_CEILING}`);
  const heldMs = input.heldMs;
  if (heldMs !== undefined && (typeof heldMs !== 'number' || !Number.isSafeInteger(heldMs) || heldMs < 0 || heldMs > limits.MAX_HELD_MS)) {
    throw new Invalid(`heldMs: an integer from 0 to ${limits.MAX_HELD_MS}`);
  }
  return {
    event,
    pcId,
    seq,
    state: state as Extract<HookReport, { event: 'stats' }>['state'],
    stats: (stats as unknown[]).map(readStat),
    ...(heldMs !== undefined ? { heldMs } : {}),
  };
}

function readStat(value: unknown): RtcStat {
  const input = record(value, 'a stats object');
  const keys = Object.keys(input);
  if (keys.length > limits.MAX_FIELDS_PER_STAT) throw new Invalid(`a stats object may carry at most ${limits.MAX_FIELDS_PER_STAT} fields`);
  for (const key of keys) checkStatValue(key, input[key]);
  const { id, type, timestamp } = input;
  if (typeof id !== 'string') throw new Invalid('stat id: a string');
  if (typeof type !== 'string' || type.length > limits.MAX_STAT_KEY_LENGTH) throw new Invalid(`stat type: a string of at most ${limits.MAX_STAT_KEY_LENGTH}`);
  if (typeof timestamp !== 'number') throw new Invalid('stat timestamp: a number');
  return input as RtcStat;
}

/** A finite number, a bounded string, a boolean, or a record of finite numbers with bounded keys. */
function checkStatValue(key: string, value: unknown): void {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Invalid(`${key}: a finite number`);
      return;
    case 'boolean':
      return;
    case 'string':
      if (value.length > limits.MAX_STAT_STRING_LENGTH) throw new Invalid(`${key}: at most ${limits.MAX_STAT_STRING_LENGTH} characters`);
      return;
    default: {
      const input = record(value, key);
      for (const name of Object.keys(input)) {
        const n = input[name];
        if (name.length > limits.MAX_STAT_KEY_LENGTH || typeof n !== 'number' || !Number.isFinite(n)) throw new Invalid(`${key}: a record of numbers`);
      }
    }
  }
}

/** A plain object (not null, not an array), or Invalid. */
function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(`${what}: an object`);
  return value as Record<string, unknown>;
}
