#!/usr/bin/env node
// Regenerates docs/screenshots/*.png: the options page and the popup during a real loopback call.
//
//   node scripts/screenshots.mjs [--no-build] [--out docs/screenshots] [--seconds 20] [--store]
//
// Builds the test build (E2E_LOOPBACK=1: loopback host permission at install) into
// WXT_OUT_DIR (default .output/screenshots, so it never replaces a build a test is using),
// starts a Pushgateway and the call page, launches headless Chromium with the extension,
// saves settings, runs a call for --seconds so the popup's charts have points, then takes
// options.png, options-dark.png, popup.png and popup-dark.png. With --store, also the store
// listing's 1280x800 screenshots in docs/store (options page, popup beside the call, the metrics in
// the Pushgateway), from the same run. Cleans up on every path.
import fs from 'node:fs';
import path from 'node:path';
import { buildTestExtension, load, parseArgs, root, sleep } from './lib/script-setup.mjs';

const { flag, option } = parseArgs();
const outDir = path.resolve(option('out', 'docs/screenshots'));
const callSeconds = Number(option('seconds', '20'));
const storeDir = path.resolve('docs/store');
/** Both stores take 1280x800 screenshots. */
const STORE_SIZE = { width: 1280, height: 800 };
process.env.WXT_OUT_DIR ??= '.output/screenshots';

if (!flag('no-build')) buildTestExtension();

const { startPushgateway } = await load('tests/e2e/support/pushgateway.ts');
const { startCallPageServer } = await load('tests/e2e/support/call-page-server.ts');
const { launchChromium } = await load('tests/e2e/support/chromium.ts');
const { configureExtension } = await load('tests/e2e/support/exporter-control.ts');

const cleanups = [];
let exitCode = 0;
try {
  fs.mkdirSync(outDir, { recursive: true });
  const gateway = await startPushgateway();
  cleanups.push(() => gateway.stop());
  const pages = await startCallPageServer();
  cleanups.push(() => pages.close());
  const browser = await launchChromium();
  cleanups.push(() => browser.close());

  await configureExtension(
    browser,
    {
      gateway: { url: gateway.url, job: 'webrtc', username: 'exporter', password: 'example-secret' },
      customOrigins: ['http://127.0.0.1/*'],
      intervalMs: 1000,
      agentId: 'agent-042',
    },
    'http://127.0.0.1/*',
  );

  const call = await browser.context.newPage();
  const callUrl = pages.pageUrl('call');
  await call.goto(callUrl);
  await call.evaluate(() => window.startCall());
  console.log(`Call running; waiting ${callSeconds} s for the charts to fill...`);
  await sleep(callSeconds * 1000);

  const options = await browser.openOptions();
  await options.setViewportSize({ width: 960, height: 1180 });
  await options.getByRole('button', { name: 'Test connection' }).click();
  await options.getByText('Connected to').waitFor({ timeout: 15_000 });
  await options.mouse.move(0, 0);
  for (const scheme of ['light', 'dark']) {
    await options.emulateMedia({ colorScheme: scheme });
    const file = path.join(outDir, scheme === 'light' ? 'options.png' : 'options-dark.png');
    // The first screen (status, gateway with the test result, identity, capture): a full-page shot
    // would be very tall and would draw the sticky save bar in the middle of the page.
    await options.screenshot({ path: file });
    console.log(`wrote ${path.relative(root, file)}`);
  }

  const popup = await browser.openPopup(callUrl);
  await popup.setViewportSize({ width: 360, height: 600 });
  await popup.locator('article.connection').nth(1).waitFor({ timeout: 15_000 });
  // Let one more poll land so every chart has its latest point.
  await sleep(2500);
  for (const scheme of ['light', 'dark']) {
    await popup.emulateMedia({ colorScheme: scheme });
    const file = path.join(outDir, scheme === 'light' ? 'popup.png' : 'popup-dark.png');
    await popup.locator('main.popup').screenshot({ path: file });
    console.log(`wrote ${path.relative(root, file)}`);
  }

  if (flag('store')) {
    await popup.emulateMedia({ colorScheme: 'light' });
    const popupPng = await popup.locator('main.popup').screenshot();
    await options.emulateMedia({ colorScheme: 'light' });
    await options.setViewportSize(STORE_SIZE);
    await storeShot(options, 'screenshot-1-options.png');
    // The popup is 360 px wide: shown at its real size beside the call page it describes.
    await call.setViewportSize(STORE_SIZE);
    await call.evaluate((src) => {
      const img = document.createElement('img');
      img.src = src;
      img.style.cssText = 'position:fixed;top:24px;right:24px;box-shadow:0 8px 32px rgba(0,0,0,.35);border-radius:8px;z-index:9';
      document.body.appendChild(img);
      return img.decode();
    }, `data:image/png;base64,${popupPng.toString('base64')}`);
    await storeShot(call, 'screenshot-2-popup-during-call.png');
    const metrics = await browser.context.newPage();
    await metrics.setViewportSize(STORE_SIZE);
    await metrics.goto(gateway.url);
    await storeShot(metrics, 'screenshot-3-pushgateway.png');
  }
} catch (error) {
  console.error(`Screenshots failed: ${error instanceof Error ? error.stack : String(error)}`);
  exitCode = 1;
} finally {
  while (cleanups.length) await cleanups.pop()().catch(() => {});
}
process.exit(exitCode);

/** One store screenshot of `page`'s viewport (1280x800) into docs/store. */
async function storeShot(page, name) {
  const file = path.join(storeDir, name);
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(root, file)}`);
}
