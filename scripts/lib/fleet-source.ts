import { encodeSnapshot } from '../../utils/metrics/encode-snapshot';
import { loadFixture } from '../../tests/fixtures/load-fixture';
import { parseExposition } from '../../tests/unit/metrics/exposition-parser';
import type { AgentWindow, WindowSource } from './fleet-sim';

/**
 * What a simulated agent sends: the product's own encoder run on a recorded audio+video
 * loopback call (both sides), once; each window reuses the encoded series with the agent's
 * grouping labels, so the load generator spends its CPU on requests, not on encoding.
 */
export function createFixtureSource(): WindowSource {
  const fixture = loadFixture('chromium-av-loopback');
  const perPc = fixture.pcs.map((pc) => encodeSnapshot(pc.stats, { naming: 'conventional', labels: {}, maxSeries: 5_000 }).text);
  const rowsPerPc = perPc.map((text) =>
    parseExposition(text)
      .filter((line) => line.kind === 'sample')
      .map((line) => ({ name: line.name, labels: line.labels ?? {}, value: Number(line.value) })),
  );
  return ({ agentId, callId, pcIds }, _at): AgentWindow => {
    const groups = pcIds.map((pcId, index) => ({
      groupingKey: { agent_id: agentId, call_id: callId, peer_connection_id: pcId },
      text: perPc[index % perPc.length]!,
    }));
    const rows = pcIds.flatMap((pcId, index) =>
      rowsPerPc[index % rowsPerPc.length]!.map((row) => ({
        name: row.name,
        labels: { ...row.labels, agent_id: agentId, call_id: callId, peer_connection_id: pcId },
        value: row.value,
      })),
    );
    return { groups, rows };
  };
}
