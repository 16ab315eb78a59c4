import { describe, expect, it } from 'vitest';
import { classifyWindow, worseClass } from '@/utils/quality/quality-class';
import { qualityThresholdsSchema, type StreamWindow } from '@/utils/quality/quality-types';

const THRESHOLDS = qualityThresholdsSchema.parse({});

function stream(fields: Partial<StreamWindow> = {}): StreamWindow {
  return {
    kind: 'audio',
    direction: 'inbound',
    bitrateBps: 32_000,
    packetRate: 50,
    lossRatio: 0,
    jitterSeconds: 0.002,
    mos: 4.4,
    concealmentRatio: 0,
    framesPerSecond: null,
    frameHeight: null,
    frozenRatio: null,
    freezesTotal: null,
    qualityLimitation: null,
    ...fields,
  };
}

describe('classifyWindow', () => {
  it('calls a window with every value under its thresholds good, with no reasons', () => {
    expect(classifyWindow({ rttSeconds: 0.02, streams: [stream()] }, THRESHOLDS)).toEqual({ qualityClass: 'good', reasons: [] });
  });

  // Defaults: loss 1 % / 5 %, RTT 250 / 400 ms, jitter 30 / 50 ms, MOS 4.0 / 3.5 (below),
  // frozen 1 % / 5 %, concealment 2 % / 8 %.
  it.each([
    ['loss just under fair', { lossRatio: 0.0099 }, null, 'good', []],
    ['loss at fair', { lossRatio: 0.01 }, null, 'fair', ['high_loss']],
    ['loss just under poor', { lossRatio: 0.0499 }, null, 'fair', ['high_loss']],
    ['loss at poor', { lossRatio: 0.05 }, null, 'poor', ['high_loss']],
    ['RTT just under fair', {}, 0.2499, 'good', []],
    ['RTT at fair', {}, 0.25, 'fair', ['high_rtt']],
    ['RTT at poor', {}, 0.4, 'poor', ['high_rtt']],
    ['jitter at fair', { jitterSeconds: 0.03 }, null, 'fair', ['high_jitter']],
    ['jitter at poor', { jitterSeconds: 0.05 }, null, 'poor', ['high_jitter']],
    ['MOS at the fair mark (not below it)', { mos: 4.0 }, null, 'good', []],
    ['MOS just below fair', { mos: 3.99 }, null, 'fair', ['low_mos']],
    ['MOS at the poor mark', { mos: 3.5 }, null, 'fair', ['low_mos']],
    ['MOS just below poor', { mos: 3.49 }, null, 'poor', ['low_mos']],
    ['frozen share at fair', { kind: 'video', mos: null, frozenRatio: 0.01 }, null, 'fair', ['freezes']],
    ['frozen share at poor', { kind: 'video', mos: null, frozenRatio: 0.05 }, null, 'poor', ['freezes']],
    ['concealment at fair', { concealmentRatio: 0.02 }, null, 'fair', ['concealment']],
    ['concealment at poor', { concealmentRatio: 0.08 }, null, 'poor', ['concealment']],
    ['a CPU-limited encoder', { kind: 'video', direction: 'outbound', mos: null, qualityLimitation: 'cpu' }, null, 'fair', ['cpu_limited']],
    ['a bandwidth-limited encoder', { kind: 'video', direction: 'outbound', mos: null, qualityLimitation: 'bandwidth' }, null, 'fair', ['bandwidth_limited']],
    ['an encoder limited for another reason', { kind: 'video', direction: 'outbound', mos: null, qualityLimitation: 'other' }, null, 'good', []],
    ['values the window does not have', { lossRatio: null, jitterSeconds: null, mos: null, concealmentRatio: null }, null, 'good', []],
  ] as const)('classifies %s', (_case, fields, rttSeconds, qualityClass, reasons) => {
    expect(classifyWindow({ rttSeconds, streams: [stream(fields)] }, THRESHOLDS)).toEqual({ qualityClass, reasons });
  });

  it('lets the worst stream win and lists every reason once, in QUALITY_REASONS order', () => {
    const streams = [
      stream({ concealmentRatio: 0.03, lossRatio: 0.02 }),
      stream({ direction: 'outbound', lossRatio: 0.06, mos: 3.2 }),
      stream({ kind: 'video', direction: 'outbound', mos: null, qualityLimitation: 'cpu' }),
    ];
    expect(classifyWindow({ rttSeconds: 0.3, streams }, THRESHOLDS)).toEqual({
      qualityClass: 'poor',
      reasons: ['high_loss', 'high_rtt', 'low_mos', 'concealment', 'cpu_limited'],
    });
  });

  it('never makes a window worse than fair for an encoder limitation alone', () => {
    const streams = [
      stream({ kind: 'video', direction: 'outbound', mos: null, qualityLimitation: 'cpu' }),
      stream({ kind: 'video', direction: 'outbound', mos: null, qualityLimitation: 'bandwidth' }),
    ];
    expect(classifyWindow({ rttSeconds: null, streams }, THRESHOLDS).qualityClass).toBe('fair');
  });

  it('follows the thresholds it is given', () => {
    const strict = { ...THRESHOLDS, lossFair: 0.001, lossPoor: 0.002 };
    expect(classifyWindow({ rttSeconds: null, streams: [stream({ lossRatio: 0.002 })] }, strict).qualityClass).toBe('poor');
  });
});

describe('worseClass', () => {
  it.each([
    ['good', 'good', 'good'],
    ['good', 'fair', 'fair'],
    ['poor', 'fair', 'poor'],
    ['fair', 'poor', 'poor'],
  ] as const)('picks the worse of %s and %s', (a, b, expected) => {
    expect(worseClass(a, b)).toBe(expected);
  });
});
