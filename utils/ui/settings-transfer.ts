import { settingsSchema, type Settings } from '../settings/settings-schema';
import { getAtPath, setAtPath } from './dotted-path';
import { issuesFromZodError, type FieldIssue } from './field-errors';
import { diffSettings, type SettingChange } from './settings-diff';

/**
 * The settings as a JSON file. The secrets (gateway password, remote-write password and token)
 * are left out unless asked for, so a shared file leaks none.
 */
export function exportSettingsJson(settings: Settings, options: { includePassword: boolean }): string {
  if (options.includePassword) return `${JSON.stringify(settings, null, 2)}\n`;
  const { password: _gatewayPassword, ...gateway } = settings.gateway;
  const { password: _remotePassword, bearerToken: _token, ...remoteWrite } = settings.remoteWrite;
  return `${JSON.stringify({ ...settings, gateway, remoteWrite }, null, 2)}\n`;
}

/** A file name with the date, so exports taken on different days do not overwrite each other. */
export function exportFileName(now: Date): string {
  return `webrtc-stats-exporter-settings-${now.toISOString().slice(0, 10)}.json`;
}

export type ImportPreview =
  | {
      ok: true;
      settings: Settings;
      changes: SettingChange[];
      /** Things the user should know that are not changes (password kept, locked fields kept). */
      notes: string[];
    }
  | { ok: false; error: string; issues: FieldIssue[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(input: unknown, parsed: unknown, prefix = ''): string[] {
  if (!isRecord(input) || !isRecord(parsed)) return [];
  return Object.keys(input).flatMap((key) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return key in parsed ? unknownKeys(input[key], parsed[key], path) : [path];
  });
}

/**
 * Reads an imported settings file against the current settings: parses, validates with the
 * settings schema and lists what would change. Nothing is applied here.
 * A file without a password (the default export) keeps the current password; fields locked by
 * policy keep their current value.
 */
export function previewImport(
  text: string,
  current: Settings,
  lockedFields: readonly string[] = [],
): ImportPreview {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `This is not valid JSON (${detail}). Nothing was changed.`, issues: [] };
  }
  if (!isRecord(input)) {
    return {
      ok: false,
      error: 'This JSON is not a settings object (expected { "gateway": …, … }). Nothing was changed.',
      issues: [],
    };
  }
  const notes: string[] = [];
  const candidate = structuredClone(input);
  const gateway = candidate.gateway;
  if (isRecord(gateway) && !('password' in gateway)) {
    gateway.password = current.gateway.password;
    if (current.gateway.password !== '') notes.push('The file has no password: the current password is kept.');
  }
  const remoteWrite = candidate.remoteWrite;
  if (isRecord(remoteWrite)) {
    // Like the gateway password: a file without the remote-write secrets keeps the current ones.
    if (!('password' in remoteWrite)) remoteWrite.password = current.remoteWrite.password;
    if (!('bearerToken' in remoteWrite)) remoteWrite.bearerToken = current.remoteWrite.bearerToken;
  }
  const keptLocked: string[] = [];
  for (const path of lockedFields) {
    const currentValue = getAtPath(current, path);
    if (getAtPath(candidate, path) !== undefined) keptLocked.push(path);
    setAtPath(candidate, path, structuredClone(currentValue));
  }
  const result = settingsSchema.safeParse(candidate);
  if (!result.success) {
    const issues = issuesFromZodError(result.error);
    const count = issues.length === 1 ? '1 invalid setting' : `${issues.length} invalid settings`;
    return { ok: false, error: `The file has ${count}. Nothing was changed.`, issues };
  }
  if (keptLocked.length > 0) {
    notes.push(`Set by your administrator, kept as they are: ${keptLocked.join(', ')}.`);
  }
  const ignored = unknownKeys(input, result.data);
  if (ignored.length > 0) notes.push(`Unknown settings ignored: ${ignored.join(', ')}.`);
  return { ok: true, settings: result.data, changes: diffSettings(current, result.data), notes };
}
