import { describe, expect, it } from 'vitest';
import {
  escapeHelp,
  escapeLabelValue,
  formatSampleValue,
  sanitizeLabelName,
  sanitizeMetricName,
  toSnakeCase,
} from '../../../utils/metrics/exposition-format';

describe('sanitizeMetricName', () => {
  it.each([
    ['webrtc_inbound_rtp_packets_received_total', 'webrtc_inbound_rtp_packets_received_total'],
    ['inbound_rtp_bytesReceived', 'inbound_rtp_bytesReceived'],
    ['inbound-rtp.bytes', 'inbound_rtp_bytes'],
    ['with:colon', 'with:colon'],
    ['9lives', '_9lives'],
    ['', '_'],
    ['naïve name', 'na_ve_name'],
    ['a"b\\c\nd', 'a_b_c_d'],
  ])('turns %j into %j', (input, expected) => {
    expect(sanitizeMetricName(input)).toBe(expected);
    expect(sanitizeMetricName(input)).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });
});

describe('sanitizeLabelName', () => {
  it.each([
    ['agent_id', 'agent_id'],
    ['page-url', 'page_url'],
    ['with:colon', 'with_colon'],
    ['1st', '_1st'],
    ['__name__', '_name__'],
    ['', '_'],
    ['ünï', '_n_'],
  ])('turns %j into %j', (input, expected) => {
    expect(sanitizeLabelName(input)).toBe(expected);
    expect(sanitizeLabelName(input)).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    expect(sanitizeLabelName(input).startsWith('__')).toBe(false);
  });
});

describe('escapeLabelValue', () => {
  it.each([
    ['plain', 'plain'],
    ['say "hi"', 'say \\"hi\\"'],
    ['C:\\path\\file', 'C:\\\\path\\\\file'],
    ['two\nlines', 'two\\nlines'],
    ['\\"', '\\\\\\"'],
    ['ünïcødé ✓ 日本', 'ünïcødé ✓ 日本'],
    ['tab\tstays', 'tab\tstays'],
  ])('escapes %j as %j', (input, expected) => {
    expect(escapeLabelValue(input)).toBe(expected);
  });
});

describe('escapeHelp', () => {
  it('escapes backslashes and newlines but leaves quotes', () => {
    expect(escapeHelp('a\\b\n"c"')).toBe('a\\\\b\\n"c"');
  });
});

describe('formatSampleValue', () => {
  it.each([
    [0, '0'],
    [42, '42'],
    [-3.5, '-3.5'],
    [0.001, '0.001'],
    [1e21, '1e+21'],
    [Number.NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [-0, '0'],
    [true, '1'],
    [false, '0'],
  ])('spells %s as %s', (input, expected) => {
    expect(formatSampleValue(input)).toBe(expected);
  });
});

describe('toSnakeCase', () => {
  it.each([
    ['packetsReceived', 'packets_received'],
    ['packetsReceivedWithEct1', 'packets_received_with_ect1'],
    ['qpSum', 'qp_sum'],
    ['totalSquaredInterFrameDelay', 'total_squared_inter_frame_delay'],
    ['inbound-rtp', 'inbound_rtp'],
    ['HTTPStatus', 'http_status'],
    ['rtxSsrc', 'rtx_ssrc'],
  ])('turns %s into %s', (input, expected) => {
    expect(toSnakeCase(input)).toBe(expected);
  });
});
