import { describe, expect, it } from 'vitest';
import { sparklineRange, sparklineSegments } from '@/utils/ui/sparkline';

describe('sparkline', () => {
  it('spreads points over the width with larger values higher', () => {
    expect(sparklineSegments([0, 5, 10], { width: 100, height: 10 })).toEqual(['0,10 50,5 100,0']);
  });

  it('breaks the line at missing values instead of drawing zeros', () => {
    expect(sparklineSegments([1, null, 1, 1], { width: 30, height: 10, min: 0, max: 2 })).toEqual([
      '0,5',
      '20,5 30,5',
    ]);
  });

  it('draws a flat series in the middle-free range without dividing by zero', () => {
    const segments = sparklineSegments([0, 0], { width: 10, height: 10 });
    expect(segments).toEqual(['0,10 10,10']);
  });

  it('shares one range across series so they compare', () => {
    expect(sparklineRange([[1, 2], [null, 8]])).toEqual({ min: 0, max: 8 });
  });

  it('draws nothing for no data', () => {
    expect(sparklineSegments([], { width: 10, height: 10 })).toEqual([]);
    expect(sparklineSegments([null, null], { width: 10, height: 10 })).toEqual([]);
  });
});
