import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { waitFor } from '../support/free-port';
import { startImpairmentRelay, type ImpairmentRelay } from '../support/impairment-relay';

type Stat = Record<string, unknown> & { id: string; type: string };

/** What the page's own getStats() says about the call: the callee's inbound loss, both sides' RTT. */
interface CallFigures {
  /** Callee inbound, audio+video: lost / (lost + received), since the call started. */
  lossRatio: number;
  /** Packets the callee expected (lost + received). */
  packets: number;
  /** Selected candidate pair's currentRoundTripTime (ICE checks), per side, seconds. */
  pairRtt: number[];
  /** remote-inbound-rtp roundTripTime (RTCP) of the caller's streams, seconds. */
  rtcpRtt: number[];
  audioSamplesReceived: number;
  audioConcealedSamples: number;
}

const num = (value: unknown) => (typeof value === 'number' ? value : 0);

function figures([caller, callee]: Stat[][]): CallFigures {
  const inbound = callee!.filter((s) => s.type === 'inbound-rtp');
  const lost = inbound.reduce((sum, s) => sum + num(s.packetsLost), 0);
  const received = inbound.reduce((sum, s) => sum + num(s.packetsReceived), 0);
  const audio = inbound.find((s) => s.kind === 'audio');
  const pairRtt = [caller!, callee!].flatMap((report) => {
    const transport = report.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string');
    const pair = report.find((s) => s.id === transport?.selectedCandidatePairId);
    return typeof pair?.currentRoundTripTime === 'number' ? [pair.currentRoundTripTime] : [];
  });
  const rtcpRtt = caller!
    .filter((s) => s.type === 'remote-inbound-rtp' && typeof s.roundTripTime === 'number')
    .map((s) => s.roundTripTime as number);
  return {
    lossRatio: lost + received > 0 ? lost / (lost + received) : Number.NaN,
    packets: lost + received,
    pairRtt,
    rtcpRtt,
    audioSamplesReceived: num(audio?.totalSamplesReceived),
    audioConcealedSamples: num(audio?.concealedSamples),
  };
}

async function callFigures(page: Page): Promise<CallFigures> {
  return figures((await page.evaluate(() => window.e2e.reports())) as Stat[][]);
}

describe('impairment relay (chromium)', () => {
  let pages: CallPageServer;
  let browser: ChromiumHarness;
  let relay: ImpairmentRelay | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    pages = await startCallPageServer();
    // The call page plays the remote audio (?audio=play): concealment is only counted during playout.
    browser = await launchChromium({ args: ['--autoplay-policy=no-user-gesture-required'] });
  });

  afterEach(async () => {
    await page?.evaluate(() => window.hangUp()).catch(() => {});
    await page?.close().catch(() => {});
    page = undefined;
    await relay?.close();
    relay = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  it('drops the set share and delays the rest, as the page’s own getStats shows', async () => {
    relay = await startImpairmentRelay({ dropRatio: 0.05, delayMs: 170 });
    page = await browser.context.newPage();
    await page.goto(pages.pageUrl('call', { relay: String(relay.port), audio: 'play' }));
    const states = await page.evaluate(() => window.startCall({ timeoutMs: 30_000 }));
    expect(states.map((s) => s.connectionState)).toEqual(['connected', 'connected']);

    // ~3000 packets: the loss share of a 5 % draw is then known to ±0.4 points (1 σ).
    const call = await waitFor(
      async () => {
        const now = await callFigures(page!);
        return now.packets >= 3_000 && now.rtcpRtt.length > 0 ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: '3000 packets at the callee and an RTCP round trip' },
    );
    const relayed = relay.stats();
    const relayDropRatio = relayed.dropped / relayed.received;
    console.log(
      `impaired call: page loss ${(call.lossRatio * 100).toFixed(2)} % of ${call.packets} packets, relay dropped ` +
        `${(relayDropRatio * 100).toFixed(2)} % of ${relayed.received} datagrams; RTT pair ${call.pairRtt.join(', ')} s, ` +
        `RTCP ${call.rtcpRtt.join(', ')} s; audio concealed ${call.audioConcealedSamples} of ${call.audioSamplesReceived} samples`,
    );

    expect(relayed.refused).toBe(0);
    expect(relayed.forwarded).toBeGreaterThan(relayed.received * 0.9);
    expect(relayDropRatio).toBeGreaterThan(0.04);
    expect(relayDropRatio).toBeLessThan(0.06);
    expect(Math.abs(call.lossRatio - relayDropRatio)).toBeLessThanOrEqual(0.015);
    // Two ways × 170 ms; the browsers add a little. Both ICE checks and RTCP go through the relay.
    expect(call.pairRtt).toHaveLength(2);
    for (const rtt of [...call.pairRtt, ...call.rtcpRtt]) {
      expect(rtt).toBeGreaterThanOrEqual(0.34);
      expect(rtt).toBeLessThanOrEqual(0.4);
    }
    // ?audio=play: the callee plays, so samples are counted, and lost packets are concealed.
    expect(call.audioSamplesReceived).toBeGreaterThan(0);
    expect(call.audioConcealedSamples).toBeGreaterThan(0);
  });

  it('leaves a call without the relay parameter direct: no loss, RTT under 50 ms', async () => {
    page = await browser.context.newPage();
    await page.goto(pages.pageUrl('call', { audio: 'play' }));
    await page.evaluate(() => window.startCall());
    const call = await waitFor(
      async () => {
        const now = await callFigures(page!);
        return now.packets >= 500 && now.rtcpRtt.length > 0 ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: '500 packets at the callee and an RTCP round trip' },
    );
    console.log(`clean call: loss ${call.lossRatio} of ${call.packets} packets; RTT pair ${call.pairRtt.join(', ')} s, RTCP ${call.rtcpRtt.join(', ')} s`);
    expect(call.lossRatio).toBe(0);
    expect(call.pairRtt).toHaveLength(2);
    for (const rtt of [...call.pairRtt, ...call.rtcpRtt]) expect(rtt).toBeLessThan(0.05);
  });
});
