import { expect } from 'vitest';
import { waitFor } from './free-port';

/** What the check needs of a page; Playwright's and Puppeteer's pages both have it. */
export interface CallPage {
  goto(url: string): Promise<unknown>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/**
 * Opens the call page at `url`, connects its loopback call, expects both connections connected,
 * inbound-rtp stats for audio and video, and both closed after hang-up; closes the page.
 */
export async function expectLoopbackCallWithInbound(page: CallPage, url: string): Promise<void> {
  await page.goto(url);
  const states = await page.evaluate(() => window.startCall());
  expect(states.map((s) => s.connectionState)).toEqual(['connected', 'connected']);

  // Right at `connected`, inbound-rtp may still be missing: poll.
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
}
