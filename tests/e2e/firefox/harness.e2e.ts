import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GECKO_ID } from '../../../utils/build/store-identity';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { expectLoopbackCallWithInbound } from '../support/loopback-check';

describe('e2e harness (firefox)', () => {
  let pages: CallPageServer;
  let firefox: FirefoxHarness;

  beforeAll(async () => {
    pages = await startCallPageServer();
    firefox = await launchFirefox();
  });

  afterAll(async () => {
    await firefox?.close();
    await pages?.close();
  });

  it('installs the built extension under its gecko id', () => {
    expect(firefox.extensionId).toBe(GECKO_ID);
    expect(firefox.extensionUrl('options.html')).toMatch(/^moz-extension:\/\/[0-9a-f-]{36}\/options\.html$/);
  });

  // An environment check, not a product test: once in three clean-clone runs a fresh Firefox page hung
  // for the whole test (no step of the call started). A hung attempt fails at 60 s and runs once more.
  it('connects a loopback call whose getStats shows inbound-rtp', { retry: 1, timeout: 60_000 }, async () => {
    await expectLoopbackCallWithInbound(await firefox.browser.newPage(), pages.pageUrl('call', { id: 'meeting-123', secret: 's3cr3t' }));
  });
});
