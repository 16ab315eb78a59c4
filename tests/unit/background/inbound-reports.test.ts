import { describe, expect, it } from 'vitest';
import { MAX_REPORTS_PER_BATCH, parseInboundBatch, parseRelayDrops } from '@/utils/background/inbound-reports';

const sender = { tab: { id: 7 }, frameId: 3, url: 'https://meet.google.com/abc?x=1', origin: 'https://meet.google.com' };
const statsReport = {
  event: 'stats',
  pcId: 'pc-1',
  seq: 1,
  state: 'connected',
  stats: [{ id: 'IT01V', type: 'inbound-rtp', timestamp: 1, bytesReceived: 10, kind: 'video' }],
};

describe('parseInboundBatch', () => {
  it('accepts a valid batch and scopes it to the sending tab and frame', () => {
    const result = parseInboundBatch([statsReport], sender);
    expect(result).toEqual({
      ok: true,
      source: { tabId: 7, frameId: 3, url: 'https://meet.google.com/abc?x=1' },
      reports: [statsReport],
    });
  });

  it.each([
    ['the creator origin when the tab has no URL', {}, 'https://meet.google.com/'],
    ['the tab URL when the tab has the creator origin', { url: 'https://x.awsapps.com/connect/ccp-v2/' }, 'https://x.awsapps.com/connect/ccp-v2/'],
    ['the creator origin when the tab has another origin', { url: 'https://portal.example.com/app' }, 'https://meet.google.com/'],
  ])('judges an about:blank frame by %s', (_name, tab, expected) => {
    const origin = expected.startsWith('https://x.awsapps.com') ? 'https://x.awsapps.com' : sender.origin;
    const result = parseInboundBatch([statsReport], { ...sender, tab: { id: 7, ...tab }, origin, url: 'about:blank' });
    expect(result.ok && result.source.url).toBe(expected);
  });

  it.each([
    ['a non-array', { reports: [] }],
    ['a wrong event', [{ ...statsReport, event: 'boom' }]],
    ['a missing pcId', [{ ...statsReport, pcId: undefined }]],
    ['an over-long pcId', [{ ...statsReport, pcId: 'x'.repeat(65) }]],
    ['a nested object field', [{ ...statsReport, stats: [{ id: 'a', type: 'b', timestamp: 1, x: { y: { z: 1 } } }] }]],
    ['a 10 MB string', [{ ...statsReport, stats: [{ id: 'a', type: 'b', timestamp: 1, x: 'x'.repeat(10_000_000) }] }]],
    ['too many reports', Array.from({ length: MAX_REPORTS_PER_BATCH + 1 }, () => statsReport)],
    ['too many stats in all', Array.from({ length: 10 }, () => ({ ...statsReport, stats: Array.from({ length: 600 }, (_, i) => ({ id: `s${i}`, type: 'codec', timestamp: 1 })) }))],
  ])('rejects %s with a reason', (_name, data) => {
    const result = parseInboundBatch(data, sender);
    expect(result).toMatchObject({ ok: false, reason: 'invalid-batch' });
    expect(!result.ok && result.detail.length).toBeGreaterThan(0);
  });

  it('rejects messages that do not come from a tab', () => {
    expect(parseInboundBatch([statsReport], { url: 'chrome-extension://x/options.html' })).toMatchObject({
      ok: false,
      reason: 'not-from-tab',
    });
  });
});

describe('parseRelayDrops', () => {
  it('names a relay’s drops as page-side reasons', () => {
    expect(parseRelayDrops({ 'rejected-invalid': 3, 'relay-rate-limited': 1 }, sender)).toEqual({
      'page-rejected-invalid': 3,
      'page-relay-rate-limited': 1,
    });
  });

  it.each([
    ['a non-object', 'lots'],
    ['a negative count', { x: -1 }],
    ['a fractional count', { x: 1.5 }],
    ['a reason with odd characters', { 'Bad Reason!': 1 }],
    ['too many reasons', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`r${i}`, 1]))],
  ])('refuses %s', (_name, data) => {
    expect(parseRelayDrops(data, sender)).toBeNull();
  });

  it('refuses reports that do not come from a tab', () => {
    expect(parseRelayDrops({ x: 1 }, {})).toBeNull();
  });
});
