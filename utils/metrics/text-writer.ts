import { escapeHelp, escapeLabelValue, formatSampleValue } from './exposition-format';
import type { LabelPairs, MetricFamily } from './metric-families';

/**
 * Writes families as Prometheus text (0.0.4): `# HELP` and `# TYPE` once per family, then its
 * samples, families in the order given. Names must already be valid (the collector sanitises
 * them); label values are escaped here.
 */
export function writeExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${family.name}${formatLabels(sample.labels)} ${formatSampleValue(sample.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** `{a="x",b="y"}`, or nothing when there are no labels. */
export function formatLabels(labels: LabelPairs): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}
