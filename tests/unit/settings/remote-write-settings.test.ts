import { describe, expect, it } from 'vitest';
import { MAX_STATIC_LABELS, remoteWriteSchema, settingsSchema } from '../../../utils/settings/settings-schema';
import { issuesFromZodError } from '../../../utils/ui/field-errors';

function remoteWriteIssues(input: Record<string, unknown>) {
  const parsed = settingsSchema.safeParse({ remoteWrite: input });
  return parsed.success ? [] : issuesFromZodError(parsed.error);
}

describe('remote-write settings', () => {
  it('default to the Pushgateway sink with no receiver, no auth and no static labels', () => {
    const settings = settingsSchema.parse({});
    expect(settings.sink).toBe('pushgateway');
    expect(settings.remoteWrite).toEqual({ url: '', auth: 'none', username: '', password: '', bearerToken: '', staticLabels: {} });
    expect(settings.reliability).toMatchObject({ sampleBufferMaxBytes: 4_000_000, sampleBufferMaxAgeMs: 3_600_000 });
  });

  it('accept a receiver URL, bearer auth and a site label', () => {
    const parsed = remoteWriteSchema.parse({
      url: ' http://127.0.0.1:9090/api/v1/write ',
      auth: 'bearer',
      bearerToken: 't0ken',
      staticLabels: { site: 'paris', team_2: 'b' },
    });
    expect(parsed.url).toBe('http://127.0.0.1:9090/api/v1/write');
    expect(parsed.staticLabels).toEqual({ site: 'paris', team_2: 'b' });
  });

  it.each([
    ['a URL that is not http(s)', { url: 'ftp://x/api/v1/write' }, 'remoteWrite.url', /http:\/\/ or https:\/\//],
    ['basic auth without a user name', { auth: 'basic' }, 'remoteWrite.username', /needs a user name/],
    ['bearer auth without a token', { auth: 'bearer' }, 'remoteWrite.bearerToken', /needs a token/],
    ['a label name with a dash', { staticLabels: { 'my-site': 'x' } }, 'remoteWrite.staticLabels', /not a label name/],
    ['a label name starting with a digit', { staticLabels: { '1site': 'x' } }, 'remoteWrite.staticLabels', /not a label name/],
    ['a name Prometheus reserves', { staticLabels: { __name__: 'x' } }, 'remoteWrite.staticLabels', /reserved by Prometheus/],
    ['a name the exporter sets (job)', { staticLabels: { job: 'x' } }, 'remoteWrite.staticLabels', /set by the exporter/],
    ['a name the exporter sets (call_id)', { staticLabels: { call_id: 'x' } }, 'remoteWrite.staticLabels', /set by the exporter/],
    ['an empty value', { staticLabels: { site: ' ' } }, 'remoteWrite.staticLabels', /needs a value/],
    ['a value over 128 characters', { staticLabels: { site: 'x'.repeat(129) } }, 'remoteWrite.staticLabels', /longer than 128/],
  ])('refuse %s, at the field', (_name, input, path, message) => {
    const issues = remoteWriteIssues(input);
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it(`refuse more than ${MAX_STATIC_LABELS} static labels`, () => {
    const labels = Object.fromEntries(Array.from({ length: MAX_STATIC_LABELS + 1 }, (_, i) => [`l${i}`, 'v']));
    expect(remoteWriteIssues({ staticLabels: labels })).toContainEqual({
      path: 'remoteWrite.staticLabels',
      message: `At most ${MAX_STATIC_LABELS} static labels`,
    });
  });

  it.each([
    ['sampleBufferMaxBytes', 9_999],
    ['sampleBufferMaxAgeMs', 59_999],
  ])('refuse a %s below its floor', (key, value) => {
    expect(settingsSchema.safeParse({ reliability: { [key]: value } }).success).toBe(false);
  });

  it('refuse a sink that does not exist', () => {
    expect(settingsSchema.safeParse({ sink: 'kafka' }).success).toBe(false);
  });
});
