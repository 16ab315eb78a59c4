import { describe, expect, it } from 'vitest';
import { fitSlope, fitSlopeAtSameLoad, floorSlope, slopeDifference, type SoakSample } from '../../../scripts/lib/soak';

const sample = (t: number, pageHeap: number, churnCalls = 0): SoakSample => ({
  t,
  pageHeap,
  workerHeap: 0,
  pageListeners: 0,
  cpuSeconds: 0,
  churnCalls,
  load1: 0,
});

describe('soak fits', () => {
  it.each([
    ['a rising line', 1_024],
    ['a flat line', 0],
    ['a falling line', -512],
  ])('gives the exact slope of %s with an interval of zero', (_name, perMinute) => {
    const fit = fitSlope(Array.from({ length: 10 }, (_, i) => [i, 1_000 + perMinute * i] as [number, number]));
    expect(fit.slope).toBeCloseTo(perMinute, 9);
    expect(fit.ci95).toBeCloseTo(0, 9);
  });

  it('widens the interval with scatter so that it still covers a flat truth', () => {
    const fit = fitSlope(Array.from({ length: 40 }, (_, i) => [i, 1_000 + (i % 2 === 0 ? 300 : -300)] as [number, number]));
    expect(Math.abs(fit.slope)).toBeLessThan(fit.ci95);
    expect(fit.ci95).toBeGreaterThan(0);
  });

  it('separates growth over time from growth with the number of live calls', () => {
    // Heap = 50 B/min over time + 100 KiB per live call, with more calls live later in the run.
    const calls = [0, 1, 3, 2, 4, 6, 5, 7, 9, 8];
    const points = calls.map((c, i) => [i, c, 1e6 + 50 * i + 102_400 * c] as [number, number, number]);
    expect(fitSlope(points.map(([t, , y]) => [t, y])).slope).toBeGreaterThan(50_000);
    expect(fitSlopeAtSameLoad(points).slope).toBeCloseTo(50, 6);
  });

  it('fits the least sample of each window, not the samples caught with data in flight', () => {
    const samples = Array.from({ length: 40 }, (_, i) => sample(i * 30, 1_000_000 + (i % 3 === 1 ? 600_000 : 0)));
    expect(floorSlope(samples, 'pageHeap', 0, 300).slope).toBeCloseTo(0, 6);
  });

  it('adds the standard errors of two slopes in their difference', () => {
    const a = { slope: 10, ci95: 0, se: 3, n: 50 };
    const b = { slope: 4, ci95: 0, se: 4, n: 50 };
    expect(slopeDifference(a, b)).toMatchObject({ slope: 6, se: 5 });
    expect(slopeDifference(a, b).ci95).toBeCloseTo(9.8, 6);
  });
});
