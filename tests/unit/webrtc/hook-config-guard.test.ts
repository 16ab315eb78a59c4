import { describe, expect, it } from 'vitest';
import { readHookConfig } from '@/utils/webrtc/hook-config-guard';
import { hookConfigSchema, type HookConfig } from '@/utils/messaging/hook-config';

const VALID: HookConfig = {
  enabled: true,
  intervalMs: 1_000,
  statsTypes: ['inbound-rtp', 'outbound-rtp'],
  failedConnectionTimeoutMs: 30_000,
  maxStatsPerReport: 300,
  maxConnections: 20,
};

describe('readHookConfig', () => {
  it('accepts a config the schema accepts, unchanged', () => {
    expect(hookConfigSchema.parse(VALID)).toEqual(VALID);
    expect(readHookConfig(VALID)).toEqual(VALID);
  });

  it.each([
    ['null', null],
    ['a string', 'enabled'],
    ['enabled as a string', { ...VALID, enabled: 'true' }],
    ['an interval below the schema minimum', { ...VALID, intervalMs: 10 }],
    ['an interval above the schema maximum', { ...VALID, intervalMs: 600_001 }],
    ['a fractional interval', { ...VALID, intervalMs: 1000.5 }],
    ['an interval as a string', { ...VALID, intervalMs: '1000' }],
    ['a failed timeout below the minimum', { ...VALID, failedConnectionTimeoutMs: 10 }],
    ['zero stats per report', { ...VALID, maxStatsPerReport: 0 }],
    ['zero connections', { ...VALID, maxConnections: 0 }],
    ['stats types as a string', { ...VALID, statsTypes: 'inbound-rtp' }],
    ['a non-string stats type', { ...VALID, statsTypes: [{ toString: (): string => 'inbound-rtp' }] }],
    ['too many stats types', { ...VALID, statsTypes: Array.from({ length: 33 }, () => 'codec') }],
    ['a report interval below the schema minimum', { ...VALID, reportIntervalMs: 100 }],
    ['a fractional report interval', { ...VALID, reportIntervalMs: 1000.5 }],
    ['selectedPairOnly as a string', { ...VALID, selectedPairOnly: 'true' }],
  ])('rejects %s', (_name, value) => {
    expect(readHookConfig(value)).toBeNull();
  });

  it('accepts a report interval and selectedPairOnly the schema accepts', () => {
    const batched: HookConfig = { ...VALID, reportIntervalMs: 1_000, selectedPairOnly: true };
    expect(hookConfigSchema.parse(batched)).toEqual(batched);
    expect(readHookConfig(batched)).toEqual(batched);
  });

  it('accepts per-type field lists the schema accepts', () => {
    const narrowed: HookConfig = { ...VALID, statsFields: { 'inbound-rtp': ['packetsLost', 'jitter'], transport: [] } };
    expect(hookConfigSchema.parse(narrowed)).toEqual(narrowed);
    expect(readHookConfig(narrowed)).toEqual(narrowed);
  });

  it.each([
    ['field lists as an array', ['inbound-rtp']],
    ['a field list as a string', { 'inbound-rtp': 'jitter' }],
    ['a non-string field', { 'inbound-rtp': [1] }],
    ['a field name over 64 characters', { 'inbound-rtp': ['x'.repeat(65)] }],
    ['a type name over 64 characters', { ['x'.repeat(65)]: ['jitter'] }],
    ['more than 200 fields for a type', { 'inbound-rtp': Array.from({ length: 201 }, (_, i) => `f${i}`) }],
    ['field lists for more than 32 types', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, []]))],
  ])('rejects %s, as the schema does', (_name, statsFields) => {
    expect(hookConfigSchema.safeParse({ ...VALID, statsFields }).success).toBe(false);
    expect(readHookConfig({ ...VALID, statsFields })).toBeNull();
  });

  it('clamps limits to the hook ceilings', () => {
    expect(readHookConfig({ ...VALID, maxStatsPerReport: 1e9, maxConnections: 1e9 })).toMatchObject({
      maxStatsPerReport: 5_000,
      maxConnections: 1_000,
    });
  });

  it('copies the stats types so a page cannot change them afterwards', () => {
    const input = { ...VALID, statsTypes: ['inbound-rtp'] };
    const config = readHookConfig(input);
    input.statsTypes.push('codec');
    expect(config?.statsTypes).toEqual(['inbound-rtp']);
  });
});
