import { describe, expect, it } from 'vitest';
import { createCallSchedule } from '../../../scripts/lib/fleet-churn';
import { runFleet } from '../../../scripts/lib/fleet-sim';
import { createQualitySource, type FleetCall } from '../../../scripts/lib/fleet-source';
import type { FleetTarget } from '../../../scripts/lib/fleet-targets';
import { encodeQualityWindow } from '../../../utils/metrics/quality-encoder';
import { recordedCallWindows } from '../metrics/quality-window-fixture';
import { mulberry32 } from '../storage/seeded-random';

const CALL: FleetCall = { agentId: 'agent-1', callId: 'call-1', pcIds: ['pc-1-a', 'pc-1-b'], startedAt: 1_764_600_000_000, pushes: 1, poor: false };

describe('createQualitySource', () => {
  it('sends a clean call with exactly the quality profile series count of the recorded 2-PC call', () => {
    const source = createQualitySource();
    const expected = recordedCallWindows().reduce((sum, { window }) => sum + encodeQualityWindow(window, CALL.startedAt).series, 0);
    const groups = source.connectionGroups(CALL);
    expect(source.seriesPerCall).toBe(expected);
    expect(groups.reduce((sum, group) => sum + group.series, 0)).toBe(expected);
    expect(groups.map((group) => group.groupingKey)).toEqual([
      { agent_id: 'agent-1', platform: 'connect', origin: 'https://fleet.my.connect.aws', call_id: 'call-1', peer_connection_id: 'pc-1-a' },
      { agent_id: 'agent-1', platform: 'connect', origin: 'https://fleet.my.connect.aws', call_id: 'call-1', peer_connection_id: 'pc-1-b' },
    ]);
  });

  it('sends a new connection with only its start time, as the extension does before its first window', () => {
    const [first] = createQualitySource().connectionGroups({ ...CALL, pushes: 0 });
    expect(first!.series).toBe(1);
    expect(first!.text).toContain('webrtc_connection_start_timestamp_seconds 1764600000\n');
  });

  it('gives remote-write rows with the job and grouping labels on every series', () => {
    const [first] = createQualitySource().connectionGroups(CALL);
    const rows = first!.rows('j');
    expect(rows).toHaveLength(first!.series);
    for (const row of rows) expect(row.labels).toMatchObject({ job: 'j', call_id: 'call-1', peer_connection_id: 'pc-1-a' });
  });

  it('moves an impaired call between classes, so its class and reason series churn', () => {
    const source = createQualitySource();
    const classes = new Set(
      Array.from({ length: 9 }, (_, index) => /webrtc_quality_class\{class="(\w+)"\}/.exec(source.connectionGroups({ ...CALL, poor: true, pushes: index + 1 })[0]!.text)?.[1]),
    );
    expect(classes).toEqual(new Set(['poor', 'fair']));
    expect(source.finalClass({ ...CALL, poor: true })).toBe('poor');
    expect(source.finalClass(CALL)).toBe('good');
  });
});

describe('createCallSchedule', () => {
  it.each([
    ['meanCallSeconds', { meanCallSeconds: 0, meanGapSeconds: 5 }],
    ['meanGapSeconds', { meanCallSeconds: 60, meanGapSeconds: Number.NaN }],
  ])('refuses a %s that is not a positive number', (name, options) => {
    expect(() => createCallSchedule(options)).toThrow(name);
  });

  it('draws call lengths within half to one and a half times the mean', () => {
    const schedule = createCallSchedule({ meanCallSeconds: 100, meanGapSeconds: 10, random: mulberry32(1) });
    const lengths = Array.from({ length: 200 }, () => schedule.callMs());
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(50_000);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(150_000);
  });
});

// The smoke run of `npm run fleet`: a few agents taking short calls for a few seconds against
// real targets. It proves the simulator drives the target, deletes ended calls' groups (Pushgateway)
// and that the target holds exactly the series sent; capacity figures are docs/scaling.md's.
describe('runFleet', () => {
  it.each<FleetTarget>(['pushgateway', 'vm'])('drives %s with churning calls and the target holds exactly the series sent', async (target) => {
    const result = await runFleet({
      target,
      source: createQualitySource({ poorShare: 0.25, pushIntervalMs: 1_000 }),
      schedule: createCallSchedule({ meanCallSeconds: 2.5, meanGapSeconds: 1, random: mulberry32(7) }),
      steps: [4],
      stepSeconds: 5,
      pushIntervalMs: 1_000,
      // Generous: this checks that the simulator works on a shared machine, not the target's speed.
      maxP99Ms: 15_000,
    });
    const [step] = result.steps;
    expect(step).toBeDefined();
    expect(step!.errors).toBe(0);
    expect(step!.requests).toBeGreaterThanOrEqual(4 * 4);
    expect(step!.callsEnded).toBeGreaterThan(0);
    expect(step!.series).toBe(step!.expectedSeries);
    expect(step!.seriesCreatedPerHour).toBeGreaterThan(0);
    expect(step!.targetRssMiB).toBeGreaterThan(0);
    if (target === 'pushgateway') {
      expect(step!.deletes).toBe(step!.callsEnded * 2);
      expect(step!.leftoverGroups).toBe(0);
    } else {
      // Remote-write: nothing is deleted; the receiver counted the new series itself.
      expect(step!.deletes).toBe(0);
      expect(step!.targetSeriesCreatedPerHour).toBeGreaterThan(0);
    }
    expect(result.sustainedAgents).toBe(4);
  }, 60_000);
});
