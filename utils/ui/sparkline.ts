export interface SparklineBox {
  width: number;
  height: number;
  /** Lowest value on the scale; default the smaller of 0 and the data's minimum. */
  min?: number;
  /** Highest value on the scale; default the data's maximum (or min + 1 when flat). */
  max?: number;
}

/** The value range a set of series is drawn against, shared so series in one chart compare. */
export function sparklineRange(
  series: readonly (readonly (number | null)[])[],
  box: Pick<SparklineBox, 'min' | 'max'> = {},
): { min: number; max: number } {
  const values = series.flat().filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const min = box.min ?? Math.min(0, ...values);
  let max = box.max ?? (values.length > 0 ? Math.max(...values) : min + 1);
  if (max <= min) max = min + 1;
  return { min, max };
}

/**
 * SVG polyline `points` for a series, one string per unbroken run: a missing value (null)
 * breaks the line instead of drawing a false zero. x spreads the points evenly; y is inverted
 * so larger is higher.
 */
export function sparklineSegments(values: readonly (number | null)[], box: SparklineBox): string[] {
  const { min, max } = sparklineRange([values], box);
  const step = values.length > 1 ? box.width / (values.length - 1) : 0;
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((value, i) => {
    if (value === null || !Number.isFinite(value)) {
      if (current.length > 0) segments.push(current.join(' '));
      current = [];
      return;
    }
    const clamped = Math.min(max, Math.max(min, value));
    const x = values.length > 1 ? i * step : box.width / 2;
    const y = box.height - ((clamped - min) / (max - min)) * box.height;
    current.push(`${round(x)},${round(y)}`);
  });
  if (current.length > 0) segments.push(current.join(' '));
  return segments;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
