// Shapes Pushgateway groups (as tests/e2e/support/pushgateway.ts parses them) into a compact
// table of a call's key metrics, for the demo and for humans reading a failing e2e run.

/** Key metrics: a label and the patterns (first match wins) of the family names that carry them. */
const COLUMNS = [
  { title: 'in bytes', patterns: [/^webrtc_inbound_rtp_bytes_received/, /inbound_rtp_bytesReceived/i, /inbound.*bytes.*received/i] },
  { title: 'in pkts', patterns: [/^webrtc_inbound_rtp_packets_received/, /inbound_rtp_packetsReceived/i] },
  { title: 'lost', patterns: [/^webrtc_inbound_rtp_packets_lost/, /inbound_rtp_packetsLost/i, /packets_?lost/i] },
  { title: 'jitter s', patterns: [/^webrtc_inbound_rtp_jitter/, /inbound_rtp_jitter/i] },
  { title: 'rtt s', patterns: [/^webrtc_candidate_pair_current_round_trip_time/, /round_?trip_?time/i] },
  { title: 'out bytes', patterns: [/^webrtc_outbound_rtp_bytes_sent/, /outbound_rtp_bytesSent/i] },
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

/** True when the group holds per-connection RTP series (not, say, the exporter's own health group). */
export function isCallGroup(group) {
  return Object.keys(group.families).some((name) => /rtp/i.test(name));
}

function familyFor(group, patterns) {
  const names = Object.keys(group.families);
  for (const pattern of patterns) {
    const name = names.find((n) => pattern.test(n));
    if (name) return group.families[name];
  }
  return undefined;
}

function cell(family) {
  if (!family) return '-';
  const values = family.metrics.map((m) => Number(m.value)).filter((v) => Number.isFinite(v));
  if (values.length === 0) return '-';
  // Several series (audio + video, several pairs): show their sum for counters, max for gauges.
  const value = family.type === 'COUNTER'
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
    ...COLUMNS.map((c) => cell(familyFor(g, c.patterns))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const out = [line(header), ...rows.map(line)];
  if (rows.length === 0) out.push('(no call groups yet)');
  if (others.length) out.push(`other groups: ${others.map(groupName).join('; ')}`);
  return out;
}
