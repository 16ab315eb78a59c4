#!/usr/bin/env node
// Demo: the extension exporting a live loopback call to a local Pushgateway.
//
//   npm run demo [-- --headed] [-- --follow] [-- --seconds 30] [-- --no-build]
//
// Builds the extension (test build: loopback host permission at install), starts a Pushgateway
// on a free port, serves tests/e2e/pages/call.html, launches Chromium with the extension
// (headless unless DISPLAY is set or --headed), writes settings to storage.sync ('settings'),
// starts the call, prints the webrtc_* series arriving every few seconds, hangs up, shows the
// groups being deleted, and cleans up. Fails with a clear message if nothing arrives.
import { formatTable, groupName, isCallGroup } from './lib/gateway-table.mjs';
import { buildTestExtension, load, parseArgs, sleep } from './lib/script-setup.mjs';

const { flag, option } = parseArgs();
const follow = flag('follow');
const runSeconds = Number(option('seconds', 30));
const firstMetricsTimeoutS = Number(option('wait', 25));
const intervalMs = 1000;
const printEveryMs = 3000;
const headed = flag('headed') || Boolean(process.env.DISPLAY);
if (flag('headed') && !process.env.DISPLAY) {
  console.error('--headed needs a display (DISPLAY is not set)');
  process.exit(2);
}

if (!flag('no-build')) buildTestExtension();

const { startPushgateway } = await load('tests/e2e/support/pushgateway.ts');
const { startCallPageServer } = await load('tests/e2e/support/call-page-server.ts');
const { launchChromium } = await load('tests/e2e/support/chromium.ts');
const { settingsSchema } = await load('utils/settings/settings-schema.ts');

const cleanups = [];
let stopping = false;
async function cleanup() {
  while (cleanups.length) await cleanups.pop()().catch(() => {});
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: hanging up and cleaning up (again to quit at once)`);
  });
}

let exitCode = 0;
try {
  // Detached: Ctrl-C reaches the whole terminal group; the gateway must outlive it until cleanup.
  const gateway = await startPushgateway({ detached: true });
  cleanups.push(() => gateway.stop());
  const pages = await startCallPageServer();
  cleanups.push(() => pages.close());
  console.log(`Pushgateway: ${gateway.url}   call page: ${pages.origin}`);

  const browser = await launchChromium({ headless: !headed, handleSignals: false });
  cleanups.push(() => browser.close());
  console.log(`Chromium ${headed ? 'headed' : 'headless'}, extension ${browser.extensionId}`);

  const settings = settingsSchema.parse({
    gateway: { url: gateway.url },
    customOrigins: ['http://127.0.0.1/*'],
    intervalMs,
  });
  // `settingsSavedAt` beside the record: the settings store takes the newest of sync and local.
  await browser.evalInWorker(
    (value) => globalThis.chrome.storage.sync.set({ settings: value, settingsSavedAt: Date.now() }),
    settings,
  );
  console.log(`Settings written: gateway ${settings.gateway.url}, job ${settings.gateway.job}, interval ${intervalMs} ms`);

  // The background registers the hook for the custom origin when it sees the new settings; a page
  // loaded before that would run unhooked.
  const registered = await waitForRegistration(browser, 'http://127.0.0.1/*', 15_000);
  if (!registered) throw new Error('the background registered no content script for http://127.0.0.1/* within 15 s');
  console.log(`Content scripts registered: ${registered.join(', ')}`);

  const page = await browser.context.newPage();
  // The query must never reach a label: the demo uses one so you can check.
  await page.goto(pages.pageUrl('call', { id: 'demo-meeting', secret: 'do-not-export' }));
  const states = await page.evaluate(() => window.startCall());
  console.log(`Call up: ${states.map((s) => s.connectionState).join(', ')}`);

  const started = Date.now();
  const seenCallGroups = new Map();
  let firstSeenAt;
  for (;;) {
    await sleep(printEveryMs);
    const groups = (await gateway.metrics()).filter((g) => g.labels.job === settings.gateway.job);
    const calls = groups.filter(isCallGroup);
    for (const g of calls) seenCallGroups.set(groupName(g), g.labels);
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (calls.length && firstSeenAt === undefined) firstSeenAt = elapsed;
    console.log(`\n[${elapsed} s] ${groups.length} group(s) for job ${settings.gateway.job}`);
    for (const line of formatTable(groups)) console.log('  ' + line);
    if (firstSeenAt === undefined && elapsed >= firstMetricsTimeoutS) {
      throw new Error(`no metrics arrived within ${firstMetricsTimeoutS} s (is the background wired to push?)`);
    }
    if (stopping || (!follow && elapsed >= runSeconds && firstSeenAt !== undefined)) break;
  }
  if (firstSeenAt === undefined) throw new Error('no metrics arrived before the demo was stopped');

  const leaked = [...seenCallGroups.keys()].filter((name) => name.includes('do-not-export') || name.includes('demo-meeting'));
  if (leaked.length) console.log(`WARNING: the page query reached a grouping label: ${leaked.join('; ')}`);

  console.log('\nHanging up...');
  await page.evaluate(() => window.hangUp());
  const deadline = Date.now() + 20_000;
  let remaining = [...seenCallGroups.keys()];
  while (remaining.length && Date.now() < deadline) {
    await sleep(1000);
    const now = new Set((await gateway.metrics()).map(groupName));
    const gone = remaining.filter((name) => !now.has(name));
    for (const name of gone) console.log(`  deleted: ${name}`);
    remaining = remaining.filter((name) => now.has(name));
  }
  if (remaining.length) {
    console.log(`Still present 20 s after hang-up: ${remaining.join('; ')}`);
    exitCode = 1;
  } else {
    console.log('All call groups deleted.');
  }
} catch (error) {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

/** Ids of the registered content scripts once one matches `pattern`, or undefined after `timeoutMs`. */
async function waitForRegistration(browser, pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const scripts = await browser.evalInWorker(() => globalThis.chrome.scripting.getRegisteredContentScripts());
    if (scripts.some((script) => script.matches?.includes(pattern))) return scripts.map((script) => script.id);
    await sleep(250);
  }
  return undefined;
}
