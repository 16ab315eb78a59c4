import { sanitizeLabelName, sanitizeMetricName } from './exposition-format';

/** Only the two types the exporter writes; the type is fixed per name by static tables. */
export type MetricType = 'counter' | 'gauge';

/** What a family is: its name, type and help never depend on the values seen. */
export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
}

/** Label pairs in output order. Values are raw; the writer escapes them. */
export type LabelPairs = ReadonlyArray<readonly [name: string, value: string]>;

export interface Sample {
  labels: LabelPairs;
  value: number;
}

export interface MetricFamily extends MetricSpec {
  samples: Sample[];
}

/** Why a sample was not kept. */
export type RejectReason = 'max-series' | 'duplicate' | 'type-conflict';

export interface FamilyCollector {
  /** Adds one sample; false (and counted) when the cap, a duplicate or a type clash rejects it. */
  add(spec: MetricSpec, labels: LabelPairs, value: number): boolean;
  /** The families, sorted by name, each with its samples in the order they were added. */
  families(): MetricFamily[];
  series(): number;
  dropped(): number;
  droppedByReason(): Record<RejectReason, number>;
}

/**
 * Collects samples grouped by family, so that every family comes out contiguous whatever order
 * the stats objects came in. Bounded: at most `maxSeries` samples are kept, the rest counted.
 * Two samples with the same name and labels would make the Pushgateway refuse the whole push,
 * so the second one is dropped and counted.
 */
export function createFamilyCollector(maxSeries: number): FamilyCollector {
  const cap = Number.isFinite(maxSeries) ? Math.max(0, Math.floor(maxSeries)) : 0;
  const byName = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  const rejected: Record<RejectReason, number> = { 'max-series': 0, duplicate: 0, 'type-conflict': 0 };
  let kept = 0;

  return {
    add(spec, labels, value) {
      const name = sanitizeMetricName(spec.name);
      let family = byName.get(name);
      if (family && family.type !== spec.type) {
        rejected['type-conflict'] += 1;
        return false;
      }
      const cleanLabels = labels.map(([n, v]) => [sanitizeLabelName(n), v] as const);
      const key = seriesKey(name, cleanLabels);
      if (seen.has(key)) {
        rejected.duplicate += 1;
        return false;
      }
      if (kept >= cap) {
        rejected['max-series'] += 1;
        return false;
      }
      if (!family) {
        family = { name, type: spec.type, help: spec.help, samples: [] };
        byName.set(name, family);
      }
      seen.add(key);
      family.samples.push({ labels: cleanLabels, value });
      kept += 1;
      return true;
    },
    families() {
      return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    series: () => kept,
    dropped: () => rejected['max-series'] + rejected.duplicate + rejected['type-conflict'],
    droppedByReason: () => ({ ...rejected }),
  };
}

function seriesKey(name: string, labels: LabelPairs): string {
  const sorted = [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // JSON keeps any character in a value from being mistaken for a separator.
  return JSON.stringify([name, sorted]);
}

/** One sample of a stats object before the common and per-object labels are put in front. */
export interface ObjectSample {
  spec: MetricSpec;
  /** Labels specific to this sample (state, reason, info labels). */
  labels: LabelPairs;
  value: number;
}
