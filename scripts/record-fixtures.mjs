#!/usr/bin/env node
/**
 * Records real getStats() reports from Chromium and Firefox ESR into tests/fixtures/.
 *
 * A local page on 127.0.0.1 makes a loopback call between two RTCPeerConnections (fake
 * getUserMedia audio+video, both directions) and, separately, a data-channel-only call; the full
 * getStats() report of each side is saved as a plain array of stats objects. Chromium's
 * audio+video call is sampled twice, 2 s apart, so rate computations have two points.
 *
 * Usage: node scripts/record-fixtures.mjs [chromium|firefox|chromium-impaired ...]
 *        (default: chromium and firefox; chromium-impaired only when named)
 *
 * chromium-impaired: the e2e call page's loopback call (both ways, remote audio playing) through the
 * impairment relay of tests/e2e/support/impairment-relay.ts (5 % drop, 170 ms each way), sampled
 * IMPAIRED_SAMPLES times 1 s apart once the call has settled: a real impaired sequence for the
 * quality engine's tests.
 *
 * IP addresses in the reports are replaced by documentation addresses (RFC 5737 / RFC 3849),
 * consistently within one file, so no machine's address is committed but the tests still have
 * addresses to look for in the encoder's output. Nothing else is changed.
 */
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'tests', 'fixtures');
const SAMPLE_GAP_MS = 2_000;
const IMPAIRED = { dropRatio: 0.05, delayMs: 170 };
const IMPAIRED_SAMPLES = 10;
const IMPAIRED_GAP_MS = 1_000;
/** Media flowing this long before the first impaired sample, so RTCP round trips and loss are established. */
const IMPAIRED_SETTLE_MS = 6_000;
const READY_TIMEOUT_MS = 30_000;
const LOOPBACK_JS = await readFile(join(ROOT, 'tests', 'e2e', 'pages', 'loopback.js'), 'utf8');

// Runs in the page. Kept free of closures over Node values: it is serialised by the drivers.
// The offer/answer exchange comes from the e2e pages' loopback.js, served beside it.
const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>fixture recorder</title>
<script src="/loopback.js"></script>
<script>
function statsArray(report) {
  const out = [];
  report.forEach((s) => out.push(JSON.parse(JSON.stringify(s))));
  return out;
}
function link(a, b) {
  a.addEventListener('icecandidate', (e) => { if (e.candidate) b.addIceCandidate(e.candidate); });
}
const negotiate = window.e2e.negotiate;
function has(stats, type) { return stats.some((s) => s.type === type); }
async function waitFor(predicate, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
window.recordAv = async (sampleGapMs, timeoutMs) => {
  const caller = new RTCPeerConnection();
  const callee = new RTCPeerConnection();
  link(caller, callee); link(callee, caller);
  const a = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const b = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  a.getTracks().forEach((t) => caller.addTrack(t, a));
  b.getTracks().forEach((t) => callee.addTrack(t, b));
  await negotiate(caller, callee);
  // Right at 'connected' inbound-rtp may be missing, and remote-inbound-rtp needs an RTCP report.
  const ready = await waitFor(async () => {
    for (const pc of [caller, callee]) {
      const s = statsArray(await pc.getStats());
      const inbound = s.filter((x) => x.type === 'inbound-rtp' && x.packetsReceived > 0);
      if (inbound.length < 2 || !has(s, 'remote-inbound-rtp')) return false;
    }
    return true;
  }, timeoutMs);
  const first = [statsArray(await caller.getStats()), statsArray(await callee.getStats())];
  await new Promise((r) => setTimeout(r, sampleGapMs));
  const second = [statsArray(await caller.getStats()), statsArray(await callee.getStats())];
  caller.close(); callee.close();
  a.getTracks().forEach((t) => t.stop()); b.getTracks().forEach((t) => t.stop());
  return { ready, first, second };
};
window.recordDataChannel = async (timeoutMs) => {
  const caller = new RTCPeerConnection();
  const callee = new RTCPeerConnection();
  link(caller, callee); link(callee, caller);
  const channel = caller.createDataChannel('chat');
  let echoed = 0;
  callee.addEventListener('datachannel', (e) => {
    e.channel.addEventListener('message', (m) => { e.channel.send('echo:' + m.data); });
  });
  channel.addEventListener('message', () => { echoed += 1; });
  await negotiate(caller, callee);
  await waitFor(() => channel.readyState === 'open', timeoutMs);
  for (let i = 0; i < 10; i += 1) channel.send('message ' + i);
  const ready = await waitFor(async () => {
    if (echoed < 10) return false;
    for (const pc of [caller, callee]) {
      const s = statsArray(await pc.getStats());
      if (!has(s, 'data-channel')) return false;
    }
    return true;
  }, timeoutMs);
  const stats = [statsArray(await caller.getStats()), statsArray(await callee.getStats())];
  caller.close(); callee.close();
  return { ready, stats };
};
</script>`;

function startServer() {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      if (req.url === '/loopback.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(LOOPBACK_JS);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE_HTML);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const ADDRESS_FIELDS = new Set(['address', 'ip', 'relatedAddress', 'url']);
const IPV4_IN_TEXT = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;

/**
 * Replaces every IP address of the recording machine by a documentation address, the same one
 * each time within a file. Addresses are learnt from the fields that carry them, then replaced
 * wherever they occur in the file (a candidate's address may also appear in another field).
 */
function scrubAddresses(pcs) {
  const found = new Set();
  const collect = (value, key) => {
    if (Array.isArray(value)) value.forEach((v) => collect(v, key));
    else if (value && typeof value === 'object') Object.entries(value).forEach(([k, v]) => collect(v, k));
    else if (typeof value === 'string' && ADDRESS_FIELDS.has(key)) {
      if (isIP(value)) found.add(value);
      for (const match of value.match(IPV4_IN_TEXT) ?? []) if (isIP(match)) found.add(match);
    }
  };
  collect(pcs, '');
  let v4 = 0;
  let v6 = 0;
  let text = JSON.stringify(pcs);
  // Longest first, so that an address that contains another one is replaced whole.
  for (const ip of [...found].sort((a, b) => b.length - a.length)) {
    if (ip === '127.0.0.1' || ip === '::1') continue;
    const replacement = isIP(ip) === 4 ? `203.0.113.${(v4 += 1)}` : `2001:db8::${(v6 += 1).toString(16)}`;
    text = text.split(`"${ip}"`).join(`"${replacement}"`).split(ip).join(replacement);
  }
  return JSON.parse(text);
}

async function save(name, browser, version, description, pcs) {
  const body = { browser, version, recordedAt: new Date().toISOString(), description, pcs: scrubAddresses(pcs) };
  const path = join(OUT_DIR, name);
  await writeFile(path, `${JSON.stringify(body, null, 1)}\n`);
  const counts = pcs.map((pc) => `${pc.role}: ${pc.stats.length} objects`).join(', ');
  console.log(`wrote ${path} (${counts})`);
}

async function recordAll(page, browser, version, url) {
  await page.goto(url);
  const av = await page.evaluate(
    ([gap, timeout]) => window.recordAv(gap, timeout),
    [SAMPLE_GAP_MS, READY_TIMEOUT_MS],
  );
  if (!av.ready) console.warn(`${browser}: audio+video call not fully ready before the timeout; saved as is`);
  const avPcs = ['caller', 'callee'].map((role, i) =>
    browser === 'chromium'
      ? { role, stats: av.second[i], samples: [av.first[i], av.second[i]] }
      : { role, stats: av.second[i] },
  );
  await save(
    `${browser}-av-loopback.json`,
    browser,
    version,
    browser === 'chromium'
      ? `Loopback call, fake audio+video both ways. samples: two getStats() reports ${SAMPLE_GAP_MS} ms apart; stats = the later one.`
      : 'Loopback call, fake audio+video both ways; one getStats() report per side.',
    avPcs,
  );
  const dc = await page.evaluate((timeout) => window.recordDataChannel(timeout), READY_TIMEOUT_MS);
  if (!dc.ready) console.warn(`${browser}: data-channel call not fully ready before the timeout; saved as is`);
  await save(
    `${browser}-datachannel.json`,
    browser,
    version,
    'Loopback call with one data channel ("chat"), 10 messages echoed; no media.',
    ['caller', 'callee'].map((role, i) => ({ role, stats: dc.stats[i] })),
  );
}

/** Records the impaired sequence (see the header) into chromium-impaired-loopback.json. */
async function recordChromiumImpaired(url) {
  const { chromium } = await import('playwright-core');
  const { chromiumArgs } = await tsImport(join(ROOT, 'tests', 'e2e', 'support', 'chromium.ts'), import.meta.url);
  const { startImpairmentRelay } = await tsImport(join(ROOT, 'tests', 'e2e', 'support', 'impairment-relay.ts'), import.meta.url);
  const relay = await startImpairmentRelay(IMPAIRED);
  const profile = await mkdtemp(join(tmpdir(), 'fixtures-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    // The page plays the remote audio: concealment is only counted during playout.
    args: [...chromiumArgs(), '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    const version = context.browser()?.version() ?? (await versionFromPage(context));
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${url}?relay=${relay.port}&audio=play`);
    await page.evaluate(() => window.e2e.loopbackCall(window.RTCPeerConnection, { twoWay: true, timeoutMs: 30_000 }));
    await new Promise((r) => setTimeout(r, IMPAIRED_SETTLE_MS));
    const samples = [];
    for (let i = 0; i < IMPAIRED_SAMPLES; i += 1) {
      if (i > 0) await new Promise((r) => setTimeout(r, IMPAIRED_GAP_MS));
      samples.push(await page.evaluate(() => window.e2e.reports()));
    }
    await page.evaluate(() => window.e2e.hangUp());
    const relayed = relay.stats();
    console.log(`relay: ${relayed.dropped} of ${relayed.received} datagrams dropped (${((relayed.dropped / relayed.received) * 100).toFixed(2)} %)`);
    await save(
      'chromium-impaired-loopback.json',
      'chromium',
      version,
      `Loopback call, fake audio+video both ways, remote audio playing, through the impairment relay ` +
        `(${IMPAIRED.dropRatio * 100} % drop, ${IMPAIRED.delayMs} ms each way; the relay dropped ` +
        `${relayed.dropped} of ${relayed.received} datagrams). samples: ${IMPAIRED_SAMPLES} getStats() reports ` +
        `${IMPAIRED_GAP_MS} ms apart, ${IMPAIRED_SETTLE_MS} ms after connecting; stats = the last one.`,
      ['caller', 'callee'].map((role, i) => ({ role, stats: samples.at(-1)[i], samples: samples.map((sample) => sample[i]) })),
    );
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
    await relay.close();
  }
}

async function recordChromium(url) {
  const { chromium } = await import('playwright-core');
  const { chromiumArgs } = await tsImport(join(ROOT, 'tests', 'e2e', 'support', 'chromium.ts'), import.meta.url);
  const profile = await mkdtemp(join(tmpdir(), 'fixtures-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs(),
  });
  try {
    const version = context.browser()?.version() ?? (await versionFromPage(context));
    const page = context.pages()[0] ?? (await context.newPage());
    await recordAll(page, 'chromium', version, url);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

async function versionFromPage(context) {
  const page = await context.newPage();
  const ua = await page.evaluate(() => navigator.userAgent);
  await page.close();
  return /Chrome\/([\d.]+)/.exec(ua)?.[1] ?? 'unknown';
}

async function recordFirefox(url) {
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
    },
  });
  try {
    const version = (await browser.version()).replace(/^firefox\//i, '');
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    await recordAll(page, 'firefox', version, url);
  } finally {
    await browser.close();
  }
}

const wanted = process.argv.slice(2);
const browsers = wanted.length > 0 ? wanted : ['chromium', 'firefox'];
const server = await startServer();
const url = `http://127.0.0.1:${server.address().port}/`;
try {
  for (const name of browsers) {
    if (name === 'chromium') await recordChromium(url);
    else if (name === 'firefox') await recordFirefox(url);
    else if (name === 'chromium-impaired') await recordChromiumImpaired(url);
    else throw new Error(`unknown recording "${name}": use chromium, firefox or chromium-impaired`);
  }
} finally {
  server.close();
}
