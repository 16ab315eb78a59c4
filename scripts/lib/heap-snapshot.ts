/**
 * Reads V8 heap snapshots (the JSON DevTools saves, from CDP `HeapProfiler.takeHeapSnapshot`)
 * and compares two of them by constructor: the soak's way to name what grew when a heap slope
 * looks real. Self size only: retained size needs a dominator tree, and a leak shows as the
 * count of some constructor growing anyway.
 */

/** Objects of one constructor (or one kind of internal V8 object) in a snapshot. */
export interface HeapGroup {
  count: number;
  selfSize: number;
}

/** What one constructor gained between two snapshots. */
export interface HeapGrowth {
  name: string;
  countDelta: number;
  selfSizeDelta: number;
  countAfter: number;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * Counts and self sizes per constructor. Node types that have no constructor of their own
 * (strings, code, arrays of V8's internals) are grouped by their type in parentheses, as DevTools
 * shows them, so the totals add up to the whole heap.
 */
export function summariseHeapSnapshot(text: string): Map<string, HeapGroup> {
  const json = JSON.parse(text) as SnapshotJson;
  const fields = json.snapshot.meta.node_fields;
  const types = json.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0) throw new Error('heap snapshot: node_fields lack type, name or self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < json.nodes.length; i += width) {
    const type = types[json.nodes[i + typeAt]!] ?? 'unknown';
    // V8 names some internal objects with their node id ("system / Context / scope @123"): one group for all.
    const name = type === 'object' || type === 'closure' ? json.strings[json.nodes[i + nameAt]!]!.replace(/ @\d+$/, '') : `(${type})`;
    const group = groups.get(name) ?? { count: 0, selfSize: 0 };
    group.count++;
    group.selfSize += json.nodes[i + sizeAt]!;
    groups.set(name, group);
  }
  return groups;
}

/** The constructors whose self size grew most from `before` to `after`, largest first. */
export function heapGrowth(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, top = 15): HeapGrowth[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  const rows: HeapGrowth[] = [];
  for (const name of names) {
    const a = before.get(name) ?? { count: 0, selfSize: 0 };
    const b = after.get(name) ?? { count: 0, selfSize: 0 };
    rows.push({ name, countDelta: b.count - a.count, selfSizeDelta: b.selfSize - a.selfSize, countAfter: b.count });
  }
  return rows.sort((x, y) => y.selfSizeDelta - x.selfSizeDelta).slice(0, top);
}

/** The growth as a Markdown table. */
export function formatHeapGrowth(rows: HeapGrowth[]): string {
  const lines = ['| constructor | count change | count after | self size change |', '|---|---|---|---|'];
  for (const row of rows) {
    const sign = (n: number) => (n > 0 ? `+${n}` : String(n));
    lines.push(`| ${row.name.replaceAll('|', '\\|')} | ${sign(row.countDelta)} | ${row.countAfter} | ${sign(Math.round(row.selfSizeDelta / 1024 * 10) / 10)} KiB |`);
  }
  return lines.join('\n');
}
