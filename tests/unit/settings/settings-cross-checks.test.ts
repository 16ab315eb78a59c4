import { describe, expect, it } from 'vitest';
import { defaultSettings, settingsSchema, type Settings } from '../../../utils/settings/settings-schema';

const defaults = defaultSettings();

function issuesOf(change: (settings: Settings) => void): Array<{ path: string; message: string }> {
  const candidate = structuredClone(defaults);
  change(candidate);
  const result = settingsSchema.safeParse(candidate);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('settingsSchema cross-field checks', () => {
  it('accepts its own defaults', () => {
    expect(issuesOf(() => undefined)).toEqual([]);
    expect(defaults.exportProfile).toBe('quality');
    expect(defaults.pushIntervalMs).toBe(10_000);
    expect(defaults.gateway.gzip).toBe(true);
  });

  it.each<[string, (s: Settings) => void, string | null]>([
    ['a push interval equal to the poll interval', (s) => ((s.intervalMs = 5_000), (s.pushIntervalMs = 5_000)), null],
    ['a push interval below the poll interval', (s) => ((s.intervalMs = 5_000), (s.pushIntervalMs = 4_999)), 'pushIntervalMs'],
    ['a stale timeout of exactly three polls', (s) => ((s.intervalMs = 10_000), (s.pushIntervalMs = 10_000), (s.reliability.staleConnectionMs = 30_000)), null],
    ['a stale timeout below three polls', (s) => ((s.intervalMs = 25_000), (s.pushIntervalMs = 25_000), (s.reliability.failedConnectionTimeoutMs = 50_000)), 'reliability.staleConnectionMs'],
    ['a failed timeout below two polls', (s) => ((s.intervalMs = 2_000), (s.reliability.failedConnectionTimeoutMs = 3_000)), 'reliability.failedConnectionTimeoutMs'],
    ['fair loss above poor loss', (s) => ((s.quality.lossFair = 0.1), (s.quality.lossPoor = 0.05)), 'quality.lossPoor'],
    ['fair RTT equal to poor RTT', (s) => ((s.quality.rttFairSeconds = 0.3), (s.quality.rttPoorSeconds = 0.3)), null],
    ['a poor MOS above the fair MOS', (s) => ((s.quality.mosFair = 3.5), (s.quality.mosPoor = 3.8)), 'quality.mosPoor'],
    ['fair jitter above poor jitter', (s) => (s.quality.jitterFairSeconds = 0.06), 'quality.jitterPoorSeconds'],
  ])('with %s reports %s', (_, change, path) => {
    const issues = issuesOf(change);
    expect(issues.map((issue) => issue.path)).toEqual(path === null ? [] : [path]);
  });

  it('says at the stale field what the interval requires, in seconds', () => {
    const [issue] = issuesOf((s) => ((s.intervalMs = 25_000), (s.pushIntervalMs = 25_000), (s.reliability.failedConnectionTimeoutMs = 50_000)));
    expect(issue?.message).toBe('Must be at least 3 poll intervals (75 s), or every connection goes stale between two polls');
  });
});
