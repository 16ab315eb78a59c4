// Shapes Pushgateway groups (as tests/e2e/support/pushgateway.ts parses them) into a compact
// table of a call's key metrics, for the demo and for humans reading a failing e2e run.

/** Key metrics: a title and the family names (quality profile, then full, then legacy) that carry them. */
const COLUMNS = [
  { title: 'max B/s', names: ['webrtc_bitrate_bytes_per_second'] },
  { title: 'loss', names: ['webrtc_packet_loss_ratio', 'webrtc_inbound_rtp_packets_lost', 'inbound_rtp_packetsLost'] },
  { title: 'jitter s', names: ['webrtc_jitter_seconds', 'webrtc_inbound_rtp_jitter_seconds', 'inbound_rtp_jitter'] },
  { title: 'rtt s', names: ['webrtc_round_trip_time_seconds', 'webrtc_candidate_pair_current_round_trip_time_seconds', 'candidate_pair_currentRoundTripTime'] },
  { title: 'mos', names: ['webrtc_mos'] },
  { title: 'in bytes', names: ['webrtc_inbound_rtp_bytes_received_total', 'inbound_rtp_bytesReceived'] },
  { title: 'out bytes', names: ['webrtc_outbound_rtp_bytes_sent_total', 'outbound_rtp_bytesSent'] },
];

/** Families the Pushgateway adds to every group by itself. */
const GATEWAY_OWN = new Set(['push_time_seconds', 'push_failure_time_seconds']);

/** A group's name: its grouping labels other than job. */
export function groupName(group) {
  return Object.entries(group.labels)
    .filter(([key]) => key !== 'job')
    .map(([key, value]) => `${key}=${value}`)
    .join(',') || '(job only)';
}

/** True when the group is a connection's (not, say, the exporter's own health group) and has media series. */
export function isCallGroup(group) {
  const connection = group.labels.peer_connection_id !== undefined || group.labels.peerConnectionId !== undefined;
  return connection && Object.keys(group.families).some((name) => /rtp|bitrate/i.test(name));
}

function familyFor(group, names) {
  const name = names.find((n) => group.families[n]);
  return name ? { name, ...group.families[name] } : undefined;
}

function cell(family) {
  if (!family) return '-';
  const values = family.metrics.map((m) => Number(m.value)).filter((v) => Number.isFinite(v));
  if (values.length === 0) return '-';
  // Several series (audio + video, several pairs): the sum of counts (legacy names are all
  // gauges, hence the name test), the worst value of gauges.
  const value = family.type === 'COUNTER' || /bytes|packets/i.test(family.name)
    ? values.reduce((a, b) => a + b, 0)
    : Math.max(...values);
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}

/** The table as text lines: one row per call group, plus a line naming the other groups. */
export function formatTable(groups) {
  const calls = groups.filter(isCallGroup);
  const others = groups.filter((g) => !isCallGroup(g));
  const header = ['group', 'series', ...COLUMNS.map((c) => c.title)];
  const rows = calls.map((g) => [
    groupName(g),
    String(
      Object.entries(g.families)
        .filter(([name]) => !GATEWAY_OWN.has(name))
        .reduce((n, [, f]) => n + f.metrics.length, 0),
    ),
    ...COLUMNS.map((c) => cell(familyFor(g, c.names))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const out = [line(header), ...rows.map(line)];
  if (rows.length === 0) out.push('(no call groups yet)');
  if (others.length) out.push(`other groups: ${others.map(groupName).join('; ')}`);
  return out;
}
