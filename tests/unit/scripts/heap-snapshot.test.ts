import { describe, expect, it } from 'vitest';
import { formatHeapGrowth, heapGrowth, summariseHeapSnapshot } from '../../../scripts/lib/heap-snapshot';

/** A snapshot in V8's layout: nodes are flat rows of node_fields, names index the string table. */
function snapshot(nodes: Array<[type: string, name: string, selfSize: number]>): string {
  const types = ['hidden', 'array', 'string', 'object', 'code', 'closure'];
  const strings: string[] = [];
  const stringId = (text: string) => {
    const at = strings.indexOf(text);
    return at >= 0 ? at : strings.push(text) - 1;
  };
  const flat: number[] = [];
  nodes.forEach(([type, name, size], id) => flat.push(types.indexOf(type), stringId(name), id, size, 0, 0, 0));
  return JSON.stringify({
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
        node_types: [types, 'string', 'number', 'number', 'number', 'number', 'number'],
      },
    },
    nodes: flat,
    edges: [],
    strings,
  });
}

describe('summariseHeapSnapshot', () => {
  it('counts objects and adds their self sizes per constructor, and groups internals by type', () => {
    const summary = summariseHeapSnapshot(
      snapshot([
        ['object', 'Map', 40],
        ['object', 'Map', 60],
        ['closure', 'onReport', 32],
        ['string', 'hello', 24],
        ['string', 'world', 24],
        ['object', 'system / Context / scope @123', 16],
        ['object', 'system / Context / scope @456', 16],
      ]),
    );
    expect(summary.get('system / Context / scope')).toEqual({ count: 2, selfSize: 32 });
    expect(summary.get('Map')).toEqual({ count: 2, selfSize: 100 });
    expect(summary.get('onReport')).toEqual({ count: 1, selfSize: 32 });
    expect(summary.get('(string)')).toEqual({ count: 2, selfSize: 48 });
  });

  it('refuses a snapshot whose nodes lack a self size', () => {
    const broken = JSON.stringify({ snapshot: { meta: { node_fields: ['type', 'name'], node_types: [[]] } }, nodes: [], strings: [] });
    expect(() => summariseHeapSnapshot(broken)).toThrow(/self_size/);
  });
});

describe('heapGrowth', () => {
  it('lists what grew most first, with constructors that are new or gone', () => {
    const before = summariseHeapSnapshot(snapshot([['object', 'Map', 40], ['object', 'Old', 100]]));
    const after = summariseHeapSnapshot(
      snapshot([['object', 'Map', 40], ['object', 'Map', 40], ['object', 'Map', 40], ['object', 'Leak', 500]]),
    );
    const rows = heapGrowth(before, after);
    expect(rows.map((row) => [row.name, row.countDelta, row.selfSizeDelta])).toEqual([
      ['Leak', 1, 500],
      ['Map', 2, 80],
      ['Old', -1, -100],
    ]);
    expect(formatHeapGrowth(rows)).toContain('| Leak | +1 | 1 | +0.5 KiB |');
  });
});
