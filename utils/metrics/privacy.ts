/**
 * What never leaves the browser as a metric or label: identifiers and anything that names a
 * network endpoint, a certificate, a track or an ICE session. Applied in both naming modes.
 */

/** Stats types with nothing to export that would not identify the user's network or keys. */
export const SKIPPED_STATS_TYPES: ReadonlySet<string> = new Set([
  'certificate',
  'local-candidate',
  'remote-candidate',
  'ice-server',
]);

const FORBIDDEN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'address',
  'ip',
  'port',
  'relatedAddress',
  'relatedPort',
  'url',
  'foundation',
  'priority',
  'usernameFragment',
  'iceLocalUsernameFragment',
  'fingerprint',
  'fingerprintAlgorithm',
  'base64Certificate',
  'trackIdentifier',
  'mid',
  'rid',
  'label',
  'sdpFmtpLine',
  'googTimingFrameInfo',
]);

/**
 * True for fields that are identifiers or could identify the user: `id` and every `*Id` field
 * (transportId, codecId, localCandidateId...), addresses, ports, fingerprints, certificates,
 * ICE credentials, track UUIDs, app-chosen names (data-channel label, mid, rid).
 */
export function isForbiddenField(field: string): boolean {
  return FORBIDDEN_FIELDS.has(field) || /Id$/.test(field) || /(?:Address|Port|Certificate|Fingerprint)$/.test(field);
}

/** Label names the encoder may put on a series besides the caller's common labels. */
export const PER_OBJECT_LABEL_NAMES: ReadonlySet<string> = new Set([
  'kind',
  'ssrc',
  'index',
  'mime_type',
  'payload_type',
  'data_channel_id',
  'local_candidate_type',
  'remote_candidate_type',
  'protocol',
  'relay_protocol',
  'network_type',
]);
