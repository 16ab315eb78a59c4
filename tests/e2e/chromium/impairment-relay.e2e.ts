import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumHarness } from '../support/chromium';
import { startCallPageServer, type CallPageServer } from '../support/call-page-server';
import { waitFor } from '../support/free-port';
import { startImpairmentRelay, type ImpairmentRelay } from '../support/impairment-relay';
import { createQualityWindow } from '../../../utils/quality/quality-window';
import { qualityThresholdsSchema, type ConnectionWindow } from '../../../utils/quality/quality-types';
import type { RtcStat } from '../../../utils/webrtc/report-schema';

type Stat = Record<string, unknown> & { id: string; type: string };

/** What the page's own getStats() says about the call: the callee's inbound loss, both sides' RTT. */
interface CallFigures {
  /** Callee inbound, audio+video: lost / (lost + received), since the call started. */
  lossRatio: number;
  /** The same per inbound stream, with its SSRC. */
  streams: Array<{ kind: string; ssrc: number; lost: number; received: number }>;
  /** Packets the callee expected (lost + received). */
  packets: number;
  /**
   * Mean RTT of the selected candidate pair's ICE checks (totalRoundTripTime / responsesReceived), per
   * side, seconds. Means, not the last reading: one reading swings by tens of ms on a loaded machine.
   */
  pairRtt: number[];
  /** The selected pair's last reading (currentRoundTripTime), per side, seconds. */
  pairRttNow: number[];
  /** Mean RTCP RTT of the caller's streams (remote-inbound-rtp totalRoundTripTime / roundTripTimeMeasurements), seconds. */
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
  const pairs = [caller!, callee!].flatMap((report) => {
    const transport = report.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string');
    const pair = report.find((s) => s.id === transport?.selectedCandidatePairId);
    return pair && num(pair.responsesReceived) > 0 ? [pair] : [];
  });
  const pairRtt = pairs.map((pair) => num(pair.totalRoundTripTime) / num(pair.responsesReceived));
  const pairRttNow = pairs.map((pair) => num(pair.currentRoundTripTime));
  const rtcpRtt = caller!
    .filter((s) => s.type === 'remote-inbound-rtp' && num(s.roundTripTimeMeasurements) > 0)
    .map((s) => num(s.totalRoundTripTime) / num(s.roundTripTimeMeasurements));
  return {
    lossRatio: lost + received > 0 ? lost / (lost + received) : Number.NaN,
    streams: inbound.map((s) => ({ kind: String(s.kind), ssrc: num(s.ssrc), lost: num(s.packetsLost), received: num(s.packetsReceived) })),
    packets: lost + received,
    pairRtt,
    pairRttNow,
    rtcpRtt,
    audioSamplesReceived: num(audio?.totalSamplesReceived),
    audioConcealedSamples: num(audio?.concealedSamples),
  };
}

async function callFigures(page: Page): Promise<CallFigures> {
  return figures((await page.evaluate(() => window.e2e.reports())) as Stat[][]);
}

/**
 * The quality engine's window over the callee's live reports, `samples` of them 1 s apart: the
 * engine on a real call, without the extension in between (the export e2e covers that path).
 */
/**
 * 5 % of datagrams dropped, 200 ms each way (RECIPES.md: the 170–200 ms that gave 5 % loss and RTT ~350–400 ms).
 * At 200 ms the E-model puts MOS under 3.6 from about 3.3 % measured loss, so a window whose
 * random loss lands a point under the relay's 5 % still rates as the impaired call it is.
 */
const DROP_RATIO = 0.05;
const DELAY_MS = 200;

async function calleeWindow(page: Page, samples: number): Promise<ConnectionWindow> {
  const quality = createQualityWindow({ thresholds: () => qualityThresholdsSchema.parse({}) });
  for (let i = 0; i < samples; i += 1) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [, callee] = await page.evaluate(() => window.e2e.reports());
    quality.add(callee as unknown as RtcStat[], Date.now());
  }
  return quality.take(Date.now())!;
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

  it('drops the set share and delays the rest, as the page’s own getStats and the quality engine show', async () => {
    relay = await startImpairmentRelay({ dropRatio: DROP_RATIO, delayMs: DELAY_MS });
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
    const bySsrc = relay.rtpBySsrc();
    console.log(
      `impaired call: page loss ${(call.lossRatio * 100).toFixed(2)} % of ${call.packets} packets, relay dropped ` +
        `${(relayDropRatio * 100).toFixed(2)} % of ${relayed.received} datagrams; RTT pair ${call.pairRtt.join(', ')} s, ` +
        `RTCP ${call.rtcpRtt.join(', ')} s; audio concealed ${call.audioConcealedSamples} of ${call.audioSamplesReceived} samples`,
    );

    expect(relayed.refused).toBe(0);
    expect(relayed.forwarded).toBeGreaterThan(relayed.received * 0.9);
    expect(relayDropRatio).toBeGreaterThan(0.04);
    expect(relayDropRatio).toBeLessThan(0.06);
    // Each stream's loss as the callee counts it, against what the relay dropped of that very SSRC
    // (against the share of all datagrams dropped, sampling noise alone would be ±0.5 point).
    // packetsLost matches the relay's drops; video's packetsReceived also counts packets recovered
    // by retransmission, so its ratio reads lower than the relay's: its lost count is held to the
    // relay's drops, within 1.5 points of the packets the relay carried.
    expect(call.streams.map((st) => st.kind).sort()).toEqual(['audio', 'video']);
    for (const stream of call.streams) {
      const relayedStream = bySsrc.get(stream.ssrc);
      expect(relayedStream, `the relay saw no RTP of ssrc ${stream.ssrc}`).toBeDefined();
      const pageLoss = stream.lost / (stream.lost + stream.received);
      const relayLoss = relayedStream!.dropped / relayedStream!.received;
      console.log(
        `${stream.kind} ssrc ${stream.ssrc}: page loss ${(pageLoss * 100).toFixed(2)} % (${stream.lost} of ${stream.lost + stream.received}), ` +
          `relay dropped ${(relayLoss * 100).toFixed(2)} % (${relayedStream!.dropped} of ${relayedStream!.received})`,
      );
      expect(Math.abs(stream.lost - relayedStream!.dropped)).toBeLessThanOrEqual(0.015 * relayedStream!.received);
      if (stream.kind === 'audio') expect(Math.abs(pageLoss - relayLoss)).toBeLessThanOrEqual(0.015);
    }
    // Two ways × DELAY_MS; the browsers add a little (within 20 %). Both ICE checks and RTCP go through the relay.
    expect(call.pairRtt).toHaveLength(2);
    for (const rtt of [...call.pairRtt, ...call.rtcpRtt]) {
      expect(rtt).toBeGreaterThanOrEqual((2 * DELAY_MS) / 1000);
      expect(rtt).toBeLessThanOrEqual((1.2 * 2 * DELAY_MS) / 1000);
    }
    // ?audio=play: the callee plays, so samples are counted, and lost packets are concealed.
    expect(call.audioSamplesReceived).toBeGreaterThan(0);
    expect(call.audioConcealedSamples).toBeGreaterThan(0);

    // Thirty reports: ~1,350 audio packets, so the window's loss is known to about ±0.6 point (one σ).
    // With ten (~450 packets, ±1 point) a window under the ~3.3 % where MOS crosses 3.6 came one run
    // in twenty (3.26 % once in CI, MOS 3.64); with thirty it is a 2.9 σ draw (about 1 in 500).
    const rated = await calleeWindow(page, 30);
    const audio = rated.streams.find((st) => st.kind === 'audio' && st.direction === 'inbound');
    console.log(`impaired call, engine over 29 s: ${rated.qualityClass} (${rated.reasons.join(', ')}), audio in loss ${audio?.lossRatio}, MOS ${audio?.mos}, RTT ${rated.rttSeconds}`);
    expect(audio?.mos).toBeLessThan(3.6);
    expect(rated.qualityClass).not.toBe('good');
    expect(rated.reasons).toContain('high_loss');
  });

  it('leaves a call without the relay parameter direct: no loss, RTT under 50 ms, rated good', async () => {
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
    console.log(
      `clean call: loss ${call.lossRatio} of ${call.packets} packets; RTT pair now ${call.pairRttNow.join(', ')} s ` +
        `(mean ${call.pairRtt.join(', ')}), RTCP ${call.rtcpRtt.join(', ')} s`,
    );
    expect(call.lossRatio).toBe(0);
    // The last readings: a pair's mean still holds the checks made while the browser was starting up.
    expect(call.pairRttNow).toHaveLength(2);
    for (const rtt of [...call.pairRttNow, ...call.rtcpRtt]) expect(rtt).toBeLessThan(0.05);

    const rated = await calleeWindow(page, 5);
    const audio = rated.streams.find((st) => st.kind === 'audio' && st.direction === 'inbound');
    console.log(`clean call, engine over 4 s: ${rated.qualityClass} (${rated.reasons.join(', ')}), audio in MOS ${audio?.mos}, RTT ${rated.rttSeconds}`);
    expect(audio?.mos).toBeGreaterThan(4.2);
    expect(rated).toMatchObject({ qualityClass: 'good', reasons: [] });
  });
});
