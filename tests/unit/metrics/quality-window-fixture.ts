import { createQualityWindow } from '../../../utils/quality/quality-window';
import { qualityThresholdsSchema, type ConnectionWindow } from '../../../utils/quality/quality-types';
import type { RtcStat } from '../../../utils/webrtc/report-schema';
import { loadFixture } from '../../fixtures/load-fixture';

/** Unix ms the recorded samples are replayed at, 2 s apart (the default poll interval). */
export const REPLAY_START = 1_764_600_000_000;

/** Each side of the recorded 2-PC Chromium audio+video call, replayed through the real quality engine. */
export function recordedCallWindows(): Array<{ window: ConnectionWindow; stats: RtcStat[] }> {
  const thresholds = qualityThresholdsSchema.parse({});
  return loadFixture('chromium-av-loopback').pcs.map((pc) => {
    const engine = createQualityWindow({ thresholds: () => thresholds });
    const samples = pc.samples ?? [pc.stats];
    samples.forEach((stats, index) => engine.add(stats, REPLAY_START + index * 2_000));
    const window = engine.take(REPLAY_START + samples.length * 2_000);
    if (!window) throw new Error('the recorded call gave no window');
    return { window, stats: pc.stats };
  });
}
