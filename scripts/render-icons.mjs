#!/usr/bin/env node
// Renders scripts/icons/icon.svg to public/icon/<size>.png (16, 32, 48, 96, 128) with headless
// Chromium, the browser the e2e tests already use (no ImageMagick or rsvg on these machines).
// The same SVG and the same Chromium give the same bytes: the PNGs are committed, and
// `node scripts/render-icons.mjs --check` fails when they differ from a fresh render.
//
//   node scripts/render-icons.mjs [--check]
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { parseArgs, root } from './lib/script-setup.mjs';

/** The sizes both stores and both browsers ask for (toolbar 16/32, management 48, AMO 96, CWS 128). */
export const ICON_SIZES = [16, 32, 48, 96, 128];

const { flag } = parseArgs();
const svg = fs.readFileSync(path.join(root, 'scripts/icons/icon.svg'), 'utf8');
const outDir = path.join(root, 'public/icon');
fs.mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--force-color-profile=srgb', '--font-render-hinting=none'],
});
let differs = 0;
try {
  for (const size of ICON_SIZES) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const sized = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block}</style>${sized}`);
    const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    await page.close();
    const file = path.join(outDir, `${size}.png`);
    if (flag('check')) {
      const same = fs.existsSync(file) && Buffer.compare(fs.readFileSync(file), png) === 0;
      if (!same) differs++;
      console.log(`${path.relative(root, file)}: ${same ? 'same' : 'DIFFERS from a fresh render'}`);
    } else {
      fs.writeFileSync(file, png);
      console.log(`wrote ${path.relative(root, file)} (${png.length} bytes)`);
    }
  }
} finally {
  await browser.close();
}
process.exit(differs ? 1 : 0);
