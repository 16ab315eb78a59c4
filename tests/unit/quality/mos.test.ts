import { describe, expect, it } from 'vitest';
import { audioMos, delayImpairment, lossImpairment, mosFromR } from '@/utils/quality/mos';

/** G.107 Annex B by hand, for expected values. */
const mos = (r: number) => 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;

describe('mosFromR', () => {
  it.each([
    ['R at or below 0 is the floor', -5, 1],
    ['R = 0 is the floor', 0, 1],
    ['R = 50', 50, 1 + 1.75 - 0.175],
    ['the default R of 93.2', 93.2, 1 + 0.035 * 93.2 + 93.2 * 33.2 * 6.8 * 7e-6],
    ['R = 100 is the ceiling', 100, 4.5],
    ['R above 100 stays at the ceiling', 120, 4.5],
  ])('maps %s to its MOS', (_case, r, expected) => {
    expect(mosFromR(r)).toBeCloseTo(expected, 9);
  });
});

describe('delayImpairment', () => {
  it.each([
    [0, 0],
    [100, 2.4],
    // The knee of Cole & Rosenbluth's fit: only the linear term up to 177.3 ms.
    [177.3, 0.024 * 177.3],
    [277.3, 0.024 * 277.3 + 0.11 * 100],
  ])('gives Id for %s ms one way', (ms, expected) => {
    expect(delayImpairment(ms)).toBeCloseTo(expected, 9);
  });
});

describe('lossImpairment', () => {
  it.each([
    [0, 0],
    [0.01, (95 * 1) / (1 + 25.1)],
    [0.05, (95 * 5) / (5 + 25.1)],
    [1, (95 * 100) / (100 + 25.1)],
    // A ratio out of range (a hostile page) is clamped, never extrapolated.
    [3, (95 * 100) / (100 + 25.1)],
    [-0.2, 0],
  ])('gives Ie,eff for a loss ratio of %s', (loss, expected) => {
    expect(lossImpairment(loss)).toBeCloseTo(expected, 9);
  });
});

describe('audioMos', () => {
  it.each([
    // [case, input, lowest, highest]
    ['a clean loopback call (RTT 1 ms, no loss, 3 ms jitter)', { rttSeconds: 0.001, jitterSeconds: 0.003, lossRatio: 0 }, 4.2, 4.5],
    ['the impaired call (5 % loss, 350 ms RTT, 10 ms jitter)', { rttSeconds: 0.35, jitterSeconds: 0.01, lossRatio: 0.05 }, 1, 3.6],
    ['5 % loss alone', { rttSeconds: 0.001, jitterSeconds: 0.003, lossRatio: 0.05 }, 3.6, 4.0],
    ['400 ms RTT alone', { rttSeconds: 0.4, jitterSeconds: 0.003, lossRatio: 0 }, 3.9, 4.3],
    ['total loss', { rttSeconds: 0.05, jitterSeconds: 0.01, lossRatio: 1 }, 1, 1.6],
  ])('rates %s between %s and %s', (_case, input, lowest, highest) => {
    const value = audioMos(input);
    expect(value).toBeGreaterThan(lowest);
    expect(value).toBeLessThan(highest);
  });

  it('computes the clean call from RTT/2 + two jitters + 26.5 ms of codec delay', () => {
    const oneWayMs = 0.5 + 2 * 3 + 26.5;
    expect(audioMos({ rttSeconds: 0.001, jitterSeconds: 0.003, lossRatio: 0 })).toBeCloseTo(mos(93.2 - 0.024 * oneWayMs), 9);
  });

  it('computes the impaired call with the delay knee and the loss term', () => {
    const oneWayMs = 175 + 2 * 10 + 26.5;
    const r = 93.2 - (0.024 * oneWayMs + 0.11 * (oneWayMs - 177.3)) - (95 * 5) / (5 + 25.1);
    expect(audioMos({ rttSeconds: 0.35, jitterSeconds: 0.01, lossRatio: 0.05 })).toBeCloseTo(mos(r), 9);
    expect(mos(r)).toBeLessThan(3.6);
  });

  it('counts an unknown RTT and jitter as none rather than giving no score', () => {
    expect(audioMos({ rttSeconds: null, jitterSeconds: null, lossRatio: 0 })).toBeCloseTo(mos(93.2 - 0.024 * 26.5), 9);
  });
});
