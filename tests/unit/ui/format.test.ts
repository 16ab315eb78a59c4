import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBitrate,
  formatBytes,
  formatDuration,
  formatPercent,
  formatSecondsAsMs,
  NO_VALUE,
} from '@/utils/ui/format';

describe('format', () => {
  it.each([
    [null, NO_VALUE],
    [Number.NaN, NO_VALUE],
    [-1, NO_VALUE],
    [0, '0 bit/s'],
    [950, '950 bit/s'],
    [48_500, '48.5 kbit/s'],
    [512_000, '512 kbit/s'],
    [2_125_000, '2.13 Mbit/s'],
    [150_000_000, '150 Mbit/s'],
    [1_500_000_000, '1.5 Gbit/s'],
  ])('writes bitrate %s as %s', (bps, text) => {
    expect(formatBitrate(bps)).toBe(text);
  });

  it.each([
    [512, '512 B'],
    [12_345, '12.3 kB'],
    [4_000_000, '4 MB'],
  ])('writes %s bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('writes percent and seconds-as-ms with one decimal at most', () => {
    expect(formatPercent(0.5)).toBe('0.5 %');
    expect(formatPercent(12)).toBe('12 %');
    expect(formatSecondsAsMs(0.0423)).toBe('42.3 ms');
    expect(formatSecondsAsMs(0.25)).toBe('250 ms');
    expect(formatSecondsAsMs(null)).toBe(NO_VALUE);
  });

  it.each([
    [null, 'never'],
    [100_000, 'just now'],
    [88_000, '12 s ago'],
    [100_000 - 3 * 60_000, '3 min ago'],
    [100_000 - 2 * 3_600_000, '2 h ago'],
    [100_000 - 4 * 86_400_000, '4 d ago'],
  ])('says %s is %s at t=100000', (at, text) => {
    expect(formatAgo(at, 100_000)).toBe(text);
  });

  it('writes durations in the two largest units', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(7_800_000)).toBe('2 h 10 min');
  });
});
