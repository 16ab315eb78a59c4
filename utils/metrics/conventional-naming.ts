import { toSnakeCase } from './exposition-format';
import type { MetricSpec } from './metric-families';
import {
  ENUM_FIELDS,
  NUMERIC_FIELDS,
  RECORD_FIELDS,
  type FieldUnit,
  type NumericField,
} from './stats-field-catalog';

/** Prefix of every conventional stats metric. */
export const CONVENTIONAL_PREFIX = 'webrtc_';

/** A numeric metric with the factor its raw value is multiplied by (ms timestamps -> seconds). */
export interface ScaledSpec extends MetricSpec {
  scale: number;
}

const UNIT_SUFFIX: Record<FieldUnit, string> = {
  seconds: '_seconds',
  squared_seconds: '_squared_seconds',
  bytes: '_bytes',
  ratio: '_ratio',
  bits_per_second: '_bytes_per_second',
  pixels: '_pixels',
  hertz: '_hertz',
  decibels: '_decibels',
  timestamp_ms: '_seconds',
};

/** Units the spec uses that are not Prometheus base units. */
const UNIT_CONVERSION: Partial<Record<FieldUnit, { scale: number; note: string }>> = {
  timestamp_ms: { scale: 0.001, note: 'ms converted to seconds' },
  bits_per_second: { scale: 1 / 8, note: 'bits/s converted to bytes/s' },
};

/** `inbound-rtp` -> `webrtc_inbound_rtp`. */
export function conventionalTypePrefix(statsType: string): string {
  return `${CONVENTIONAL_PREFIX}${toSnakeCase(statsType)}`;
}

/**
 * Conventional name of a catalogued numeric field: snake_case, base unit suffix, `_total` for
 * counters, with the spec's redundant `total` prefix dropped (`totalDecodeTime` ->
 * `decode_time_seconds_total`).
 */
export function conventionalNumericName(statsType: string, field: string, spec: NumericField): string {
  let base = spec.base ?? toSnakeCase(field);
  if (spec.base === undefined && spec.kind === 'counter') base = base.replace(/^total_/, '');
  const unit = spec.unit;
  if (unit && !(unit === 'bytes' && /(^|_)bytes(_|$)/.test(base)) && !base.endsWith(UNIT_SUFFIX[unit])) {
    base += UNIT_SUFFIX[unit];
  }
  if (spec.kind === 'counter') base += '_total';
  return `${conventionalTypePrefix(statsType)}_${base}`;
}

/** The metric for a catalogued numeric field, or undefined when the field is not catalogued. */
export function catalogNumericSpec(statsType: string, field: string): ScaledSpec | undefined {
  const spec = Object.hasOwn(NUMERIC_FIELDS, field) ? NUMERIC_FIELDS[field] : undefined;
  if (!spec) return undefined;
  const conversion = spec.unit ? UNIT_CONVERSION[spec.unit] : undefined;
  return {
    name: conventionalNumericName(statsType, field, spec),
    type: spec.kind,
    help: `${spec.help} (getStats ${statsType} ${field}${conversion ? `, ${conversion.note}` : ''}).`,
    scale: conversion?.scale ?? 1,
  };
}

/** The family of a catalogued record field (one series per record key). */
export function catalogRecordSpec(statsType: string, field: string): (ScaledSpec & { label: string }) | undefined {
  const record = Object.hasOwn(RECORD_FIELDS, field) ? RECORD_FIELDS[field] : undefined;
  if (!record) return undefined;
  return {
    name: conventionalNumericName(statsType, field, record.field),
    type: record.field.kind,
    help: `${record.field.help}, by ${record.label} (getStats ${statsType} ${field}).`,
    scale: 1,
    label: record.label,
  };
}

/** The state-set family of a catalogued enum field. */
export function catalogEnumSpec(statsType: string, field: string): (MetricSpec & { label: string; values: readonly string[] }) | undefined {
  const key = `${statsType}/${field}`;
  const entry = Object.hasOwn(ENUM_FIELDS, key) ? ENUM_FIELDS[key] : undefined;
  if (!entry) return undefined;
  return {
    name: `${conventionalTypePrefix(statsType)}_${toSnakeCase(field)}`,
    type: 'gauge',
    help: `${entry.help} (getStats ${statsType} ${field}).`,
    label: entry.label,
    values: entry.values,
  };
}

/** The `_info` family of a stats type: always 1, descriptive labels. */
export function infoSpec(statsType: string): MetricSpec {
  return {
    name: `${conventionalTypePrefix(statsType)}_info`,
    type: 'gauge',
    help: `Descriptive labels of each ${statsType} stats object; always 1.`,
  };
}

/** Count of every candidate pair (not only the selected one) by ICE state. */
export const CANDIDATE_PAIRS_SPEC: MetricSpec = {
  name: `${CONVENTIONAL_PREFIX}candidate_pairs`,
  type: 'gauge',
  help: 'Candidate pairs of the connection, by ICE state.',
};
