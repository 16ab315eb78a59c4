import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { QUALITY_STAT_FIELDS } from '@/utils/quality/stat-fields';
import { createQualityWindow } from '@/utils/quality/quality-window';
import { qualityThresholdsSchema } from '@/utils/quality/quality-types';
import { shapeStatsReport } from '@/utils/webrtc/stats-shaper';
import { hookConfigFor } from '@/utils/background/hook-config-for';
import { settingsSchema, STATS_TYPES } from '@/utils/settings/settings-schema';
import type { RtcStat } from '@/utils/webrtc/report-schema';
import { FIXTURE_NAMES, loadFixture } from '../../fixtures/load-fixture';

const THRESHOLDS = qualityThresholdsSchema.parse({});
const POLL_MS = 2_000;

/** What the hook sends in the quality profile: the shaper with that profile's hook config (types, fields, selected pairs only). */
function qualityShaped(stats: RtcStat[]): RtcStat[] {
  const config = hookConfigFor(settingsSchema.parse({ exportProfile: 'quality', statsTypes: [...STATS_TYPES] }), 'https://teams.microsoft.com/');
  expect(config.selectedPairOnly).toBe(true);
  return shapeStatsReport(stats, {
    wanted: new Set(config.statsTypes),
    maxStats: 5_000,
    fields: new Map(Object.entries(config.statsFields ?? {})),
    selectedPairOnly: config.selectedPairOnly,
  }).stats;
}

/** Every window the engine gives for a sequence of snapshots (one take per poll, and one at the end). */
function windows(samples: RtcStat[][]) {
  const engine = createQualityWindow({ thresholds: () => THRESHOLDS });
  return samples.map((stats, index) => {
    engine.add(stats, 1_000_000 + index * POLL_MS);
    return engine.take(1_000_000 + index * POLL_MS + 1);
  });
}

const cases = FIXTURE_NAMES.flatMap((name) => loadFixture(name).pcs.map((pc) => [`${name} ${pc.role}`, pc.samples ?? [pc.stats]] as const));

describe('QUALITY_STAT_FIELDS', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it.each(cases)('gives the quality engine the same windows as the whole report on the %s recording', (_name, samples) => {
    const whole = windows(samples);
    const narrowed = windows(samples.map(qualityShaped));
    expect(narrowed).toEqual(whole);
  });

  it('leaves out most of a recorded audio+video report', () => {
    const stats = loadFixture('chromium-av-loopback').pcs[0]!.stats;
    const bytes = (value: unknown) => JSON.stringify(value).length;
    expect(bytes(qualityShaped(stats))).toBeLessThan(bytes(stats) / 3);
  });

  it.each(FIXTURE_NAMES)('sends one candidate pair of the %s recording, the one media flows on', (name) => {
    for (const pc of loadFixture(name).pcs) {
      const pairs = pc.stats.filter((stat) => stat.type === 'candidate-pair');
      const sent = qualityShaped(pc.stats).filter((stat) => stat.type === 'candidate-pair');
      expect(sent.length).toBe(pairs.length > 0 ? 1 : 0);
    }
  });

  it('names only stats types the settings know', () => {
    for (const type of Object.keys(QUALITY_STAT_FIELDS)) expect(STATS_TYPES).toContain(type);
  });
});

describe('hookConfigFor', () => {
  beforeEach(() => {
    fakeBrowser.reset();
  });

  it('narrows the hook to the quality types and fields in the quality profile', () => {
    const settings = settingsSchema.parse({ exportProfile: 'quality' });
    const config = hookConfigFor(settings, 'https://teams.microsoft.com/');
    expect(config.statsTypes).toEqual(settings.statsTypes.filter((type) => type in QUALITY_STAT_FIELDS));
    expect(config.statsTypes).toContain('inbound-rtp');
    expect(config.statsTypes).not.toContain('media-source');
    expect(config.statsFields?.['transport']).toEqual(['selectedCandidatePairId']);
  });

  it.each(['full', 'legacy'] as const)('sends every chosen type whole in the %s profile', (exportProfile) => {
    const settings = settingsSchema.parse({ exportProfile });
    const config = hookConfigFor(settings, 'https://teams.microsoft.com/');
    expect(config.statsTypes).toEqual(settings.statsTypes);
    expect(config.statsFields).toBeUndefined();
  });

  it.each([
    ['the poll interval when it is 1 s or more', 2_000, 10_000, 2_000],
    ['1 s at a 250 ms poll and a 10 s push', 250, 10_000, 1_000],
    ['the push interval when it is under 1 s', 250, 500, 500],
    ['every poll when the push is as fast as the poll', 250, 250, 250],
  ])('hands reports to the relay at %s', (_name, intervalMs, pushIntervalMs, reportIntervalMs) => {
    const settings = settingsSchema.parse({ intervalMs, pushIntervalMs });
    expect(hookConfigFor(settings, 'https://teams.microsoft.com/').reportIntervalMs).toBe(reportIntervalMs);
  });
});
