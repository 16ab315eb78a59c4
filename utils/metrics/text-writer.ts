import { escapeHelp, formatSampleValue } from './exposition-format';
import type { MetricFamily } from './metric-families';

/**
 * Writes families as Prometheus text (0.0.4): `# HELP` and `# TYPE` once per family, then its
 * samples, families in the order given. Names and label bodies must already be valid and
 * escaped, as the family collector makes them.
 */
export function writeExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = sample.labelBody === '' ? '' : `{${sample.labelBody}}`;
      lines.push(`${family.name}${labels} ${formatSampleValue(sample.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
