import { describe, expect, it } from 'vitest';
import { runFleet, type FleetTarget } from '../../../scripts/lib/fleet-sim';
import { createFixtureSource } from '../../../scripts/lib/fleet-source';

// The smoke run of `npm run fleet`: a few agents for a few seconds against each real target. It
// proves the simulator drives the target and reads its figures back; capacity is docs/scaling.md's.
describe('runFleet', () => {
  it.each<FleetTarget>(['pushgateway', 'vm'])('drives %s with simulated agents and reads back every series they sent', async (target) => {
    const source = createFixtureSource();
    const result = await runFleet({
      target,
      source,
      steps: [4],
      stepSeconds: 4,
      pushIntervalMs: 1_000,
      callSeconds: [600, 600],
      // Generous: this checks that the simulator works on a shared machine, not the target's speed.
      maxP99Ms: 15_000,
    });
    const [step] = result.steps;
    expect(step).toBeDefined();
    expect(step!.errors).toBe(0);
    expect(step!.requests).toBeGreaterThanOrEqual(4 * 2);
    expect(step!.series).toBe(4 * result.seriesPerCall);
    expect(step!.targetRssMiB).toBeGreaterThan(0);
    expect(result.sustainedAgents).toBe(4);
  }, 60_000);
});
