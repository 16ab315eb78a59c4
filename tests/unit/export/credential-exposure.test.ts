import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { cleartextCredentialsWarning } from '@/utils/export/credential-exposure';

describe('cleartextCredentialsWarning', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    ['http to a LAN host with a user', 'http://pushgateway.corp:9091', 'agent', 'pushgateway.corp'],
    ['http to a public address with a user', 'http://203.0.113.5:9091/prefix', 'agent', '203.0.113.5'],
    ['http to a host that only starts like loopback', 'http://127.example.com', 'agent', '127.example.com'],
  ])('warns for %s', (_name, url, username, host) => {
    const warning = cleartextCredentialsWarning({ url, username });
    expect(warning).toContain(host);
    expect(warning).toContain('https://');
  });

  it.each([
    ['https with a user', 'https://pushgateway.corp', 'agent'],
    ['http without a user', 'http://pushgateway.corp:9091', ''],
    ['http to 127.0.0.1', 'http://127.0.0.1:9091', 'agent'],
    ['http to 127.1.2.3', 'http://127.1.2.3:9091', 'agent'],
    ['http to localhost', 'http://localhost:9091', 'agent'],
    ['http to [::1]', 'http://[::1]:9091', 'agent'],
    ['no URL', '', 'agent'],
  ])('says nothing for %s', (_name, url, username) => {
    expect(cleartextCredentialsWarning({ url, username })).toBeNull();
  });
});
