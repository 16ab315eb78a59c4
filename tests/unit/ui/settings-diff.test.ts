import { describe, expect, it } from 'vitest';
import { defaultSettings } from '@/utils/settings/settings-schema';
import { deepEqual, describeChange, diffSettings, formatChangeValue, rebaseDraft } from '@/utils/ui/settings-diff';

describe('settings-diff', () => {
  it('finds nothing between equal settings', () => {
    expect(diffSettings(defaultSettings(), defaultSettings())).toEqual([]);
  });

  it('lists each changed leaf by dotted path, lists as one entry', () => {
    const before = defaultSettings();
    const after = defaultSettings();
    after.gateway.url = 'https://pg.example.com';
    after.reliability.queueMaxSize = 10;
    after.customOrigins = ['https://a.example.com/*'];
    expect(diffSettings(before, after)).toEqual([
      { path: 'gateway.url', before: '', after: 'https://pg.example.com' },
      { path: 'customOrigins', before: [], after: ['https://a.example.com/*'] },
      { path: 'reliability.queueMaxSize', before: 200, after: 10 },
    ]);
  });

  it('describes a change as path: old -> new', () => {
    expect(describeChange({ path: 'gateway.gzip', before: false, after: true })).toBe('gateway.gzip: off -> on');
    expect(describeChange({ path: 'gateway.url', before: '', after: 'https://x' })).toBe(
      'gateway.url: (empty) -> "https://x"',
    );
  });

  it('never prints a password', () => {
    expect(formatChangeValue('gateway.password', 'hunter2')).not.toContain('hunter2');
  });

  it('compares NaN with itself as equal and arrays by content', () => {
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(deepEqual([1, 2], [1, 2])).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });

  it('rebases a draft: untouched values follow the new base, edited ones stay', () => {
    const oldBase = defaultSettings();
    const draft = defaultSettings();
    draft.gateway.job = 'edited-here';
    const newBase = defaultSettings();
    newBase.disabledOrigins = ['https://meet.google.com'];
    newBase.gateway.job = 'changed-elsewhere';
    const rebased = rebaseDraft(draft, oldBase, newBase);
    expect(rebased.disabledOrigins).toEqual(['https://meet.google.com']);
    expect(rebased.gateway.job).toBe('edited-here');
  });
});
