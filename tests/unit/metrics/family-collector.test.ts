import { describe, expect, it } from 'vitest';
import { createFamilyCollector, renderLabelBody, type MetricSpec } from '../../../utils/metrics/metric-families';
import { writeExposition } from '../../../utils/metrics/text-writer';

const GAUGE: MetricSpec = { name: 'webrtc_x', type: 'gauge', help: 'X.' };
const COUNTER: MetricSpec = { name: 'webrtc_y_total', type: 'counter', help: 'Y.' };

describe('createFamilyCollector', () => {
  it('groups samples by family whatever order they come in, families sorted by name', () => {
    const collector = createFamilyCollector(10);
    collector.add(GAUGE, [['k', 'a']], 1);
    collector.add(COUNTER, [['k', 'a']], 5);
    collector.add(GAUGE, [['k', 'b']], 2);
    expect(writeExposition(collector.families())).toBe(
      [
        '# HELP webrtc_x X.',
        '# TYPE webrtc_x gauge',
        'webrtc_x{k="a"} 1',
        'webrtc_x{k="b"} 2',
        '# HELP webrtc_y_total Y.',
        '# TYPE webrtc_y_total counter',
        'webrtc_y_total{k="a"} 5',
        '',
      ].join('\n'),
    );
  });

  it('refuses a second sample of the same series and counts it', () => {
    const collector = createFamilyCollector(10);
    expect(collector.add(GAUGE, [['k', 'a']], 1)).toBe(true);
    expect(collector.add(GAUGE, [['k', 'a']], 2)).toBe(false);
    expect(collector.series()).toBe(1);
    expect(collector.droppedByReason()).toMatchObject({ duplicate: 1 });
  });

  it('refuses a sample whose type differs from its family and counts it', () => {
    const collector = createFamilyCollector(10);
    collector.add(GAUGE, [], 1);
    expect(collector.add({ ...GAUGE, type: 'counter' }, [['k', 'b']], 1)).toBe(false);
    expect(collector.droppedByReason()).toMatchObject({ 'type-conflict': 1 });
    expect(collector.families()[0]!.type).toBe('gauge');
  });

  it('keeps at most maxSeries samples and counts the rest', () => {
    const collector = createFamilyCollector(2);
    for (let i = 0; i < 5; i += 1) collector.add(GAUGE, [['i', String(i)]], i);
    expect(collector.series()).toBe(2);
    expect(collector.dropped()).toBe(3);
    expect(collector.droppedByReason()).toEqual({ 'max-series': 3, duplicate: 0, 'type-conflict': 0 });
  });

  it.each([Number.NaN, -1, Infinity])('treats a maxSeries of %s as zero', (maxSeries) => {
    const collector = createFamilyCollector(maxSeries);
    expect(collector.add(GAUGE, [], 1)).toBe(false);
    expect(collector.dropped()).toBe(1);
  });

  it('sanitises metric and label names', () => {
    const collector = createFamilyCollector(10);
    collector.add({ ...GAUGE, name: 'bad-name.x' }, [['label-x', 'v']], 1);
    expect(writeExposition(collector.families())).toContain('bad_name_x{label_x="v"} 1\n');
  });
});

describe('writeExposition', () => {
  it('spells special values as Prometheus parses them and writes no braces without labels', () => {
    const collector = createFamilyCollector(10);
    collector.add(GAUGE, [['v', 'nan']], Number.NaN);
    collector.add(GAUGE, [['v', 'inf']], Infinity);
    collector.add(GAUGE, [['v', 'ninf']], -Infinity);
    collector.add(GAUGE, [], 0.5);
    const text = writeExposition(collector.families());
    expect(text).toContain('webrtc_x{v="nan"} NaN\n');
    expect(text).toContain('webrtc_x{v="inf"} +Inf\n');
    expect(text).toContain('webrtc_x{v="ninf"} -Inf\n');
    expect(text).toContain('webrtc_x 0.5\n');
  });

  it('escapes help text and writes nothing for no families', () => {
    const collector = createFamilyCollector(10);
    collector.add({ ...GAUGE, help: 'line\nbreak \\ here' }, [], 1);
    expect(writeExposition(collector.families())).toContain('# HELP webrtc_x line\\nbreak \\\\ here\n');
    expect(writeExposition([])).toBe('');
  });
});

describe('renderLabelBody', () => {
  it('escapes values and sanitises names in the order given', () => {
    expect(renderLabelBody([['b-x', 'a"b'], ['a', 'c\\d\ne']])).toBe('b_x="a\\"b",a="c\\\\d\\ne"');
    expect(renderLabelBody([])).toBe('');
  });
});
