import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefox, type FirefoxHarness } from '../support/firefox';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { waitFor } from '../support/free-port';

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
    expect(firefox.extensionId).toBe('webrtc-stats-exporter@example.org');
    expect(firefox.extensionUrl('options.html')).toMatch(/^moz-extension:\/\/[0-9a-f-]{36}\/options\.html$/);
  });

  it('connects a loopback call whose getStats shows inbound-rtp', async () => {
    const page = await firefox.browser.newPage();
    await page.goto(pages.pageUrl('call', { id: 'meeting-123', secret: 's3cr3t' }));
    const states = await page.evaluate(() => window.startCall());
    expect(states.map((s) => s.connectionState)).toEqual(['connected', 'connected']);

    const inbound = await waitFor(
      async () => {
        const stats = await page.evaluate(() => window.e2e.statsOfType('inbound-rtp'));
        return stats.length >= 2 ? stats : undefined;
      },
      { timeoutMs: 15_000, what: 'inbound-rtp stats' },
    );
    expect(inbound.map((s) => s.kind).sort()).toEqual(['audio', 'video']);

    const closed = await page.evaluate(() => window.hangUp());
    expect(closed.map((s) => s.connectionState)).toEqual(['closed', 'closed']);
    await page.close();
  });
});
