import { escapeLabelValue, sanitizeLabelName, sanitizeMetricName } from './exposition-format';

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
  /** Rendered label pairs without braces (`a="x",b="y"`), escaped; '' for none. */
  labelBody: string;
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
  /**
   * Same, with labels already rendered by `renderLabelBody` (so a label set shared by many
   * samples is escaped once). Label order must be canonical for the duplicate check to work:
   * the same set in two orders counts as two series.
   */
  addRendered(spec: MetricSpec, labelBody: string, value: number): boolean;
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

  const collector: FamilyCollector = {
    add(spec, labels, value) {
      return collector.addRendered(spec, renderLabelBody(labels), value);
    },
    addRendered(spec, labelBody, value) {
      const name = sanitizeMetricName(spec.name);
      let family = byName.get(name);
      if (family && family.type !== spec.type) {
        rejected['type-conflict'] += 1;
        return false;
      }
      const key = `${name}{${labelBody}}`;
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
      family.samples.push({ labelBody, value });
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
  return collector;
}

/** `a="x",b="y"`: names sanitised, values escaped, in the order given. */
export function renderLabelBody(labels: LabelPairs): string {
  let body = '';
  for (const [name, value] of labels) {
    body += `${body === '' ? '' : ','}${sanitizeLabelName(name)}="${escapeLabelValue(value)}"`;
  }
  return body;
}

/** Joins two rendered label bodies. */
export function joinLabelBodies(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a},${b}`;
}

/** One sample of a stats object before the common and per-object labels are put in front. */
export interface ObjectSample {
  spec: MetricSpec;
  /** Labels specific to this sample (state, reason, info labels). */
  labels: LabelPairs;
  value: number;
}
