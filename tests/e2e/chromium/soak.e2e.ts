import { describe, expect, it } from 'vitest';
import { CHROME_BUILD_DIR } from '../support/chromium';
import { changedResources, runSoak, type SoakResult } from '../../../scripts/lib/soak';
import { HOOK_LIMITS } from '../../../utils/webrtc/hook-limits';

/**
 * The 2-minute version of the long soak (npm run soak, docs/benchmarks.md "Long soak"): steady
 * calls plus churn (a short call every 15 s living 20–40 s, a second tab reloaded every 40 s) in a
 * real Chromium against a real Pushgateway. Leaks live in what is created and destroyed, so it
 * checks that everything returns to where it started for the same live connections.
 */
describe('soak with churn (2 minutes)', () => {
  let result: SoakResult;

  it('runs two minutes of churn without a failed call', async () => {
    result = await runSoak({
      extensionDir: CHROME_BUILD_DIR,
      minutes: 2,
      calls: 2,
      intervalMs: 250,
      warmUpSeconds: 0,
      sampleEverySeconds: 20,
      churn: { everySeconds: 15, minLifeSeconds: 20, maxLifeSeconds: 40, reloadEverySeconds: 40 },
      settleSeconds: 90,
      log: (line) => console.log(line),
    });
    expect(result.churn.failed).toBe(0);
    expect(result.churn.opened).toBeGreaterThanOrEqual(6);
    expect(result.churn.reloads).toBeGreaterThanOrEqual(2);
    expect(result.groups).toBe(2 * 2 + 2);
  }, 420_000);

  it('ends with every bounded collection at its starting size', () => {
    expect(Object.keys(result.resources!.start)).toContain('tracker');
    expect(changedResources(result.resources!.start, result.resources!.end)).toEqual([]);
  });

  it('ends with storage no larger than at the start', () => {
    const { start, end } = result.storage!;
    // Counters grow by a few digits; the outbox holds one snapshot per live group, as at the start.
    for (const area of ['session', 'local', 'sync'] as const) expect(end[area]).toBeLessThanOrEqual(start[area] * 1.1 + 2_048);
  });

  it('ends with as many JS event listeners in the page as at the start', () => {
    // Only the hook's batches still waiting for the relay's answer (each holds a listener) may differ.
    // The relay's leak this guards against added one listener per flush: ~480 over these two minutes.
    expect(Math.abs(result.pageListeners.end - result.pageListeners.start)).toBeLessThanOrEqual(HOOK_LIMITS.maxUnansweredBatches);
  });
});
