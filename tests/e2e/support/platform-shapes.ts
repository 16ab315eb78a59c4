import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { BUILTIN_PLATFORMS } from '../../../utils/platforms/builtin-platforms';
import { waitFor } from './free-port';
import { connectionGroups } from './exporter-control';
import type { Pushgateway } from './pushgateway';

/**
 * One real URL shape per built-in match pattern: the host a platform's users see and a path like
 * theirs. `iframe.html` makes its call in a pristine about:blank iframe, the hardest frame to hook;
 * the server serves pages by file name, so any path in front works.
 */
export const PLATFORM_URL_SHAPES: { pattern: string; platform: string; url: string }[] = [
  { pattern: 'https://teams.microsoft.com/*', platform: 'teams', url: 'https://teams.microsoft.com/v2/' },
  { pattern: 'https://teams.live.com/*', platform: 'teams', url: 'https://teams.live.com/v2/' },
  { pattern: 'https://teams.cloud.microsoft/*', platform: 'teams', url: 'https://teams.cloud.microsoft/' },
  { pattern: 'https://meet.google.com/*', platform: 'meet', url: 'https://meet.google.com/abc-defg-hij/' },
  { pattern: 'https://*.my.connect.aws/*', platform: 'connect', url: 'https://acme.my.connect.aws/ccp-v2/' },
  { pattern: 'https://*.awsapps.com/connect/*', platform: 'connect', url: 'https://acme.awsapps.com/connect/ccp-v2/' },
  { pattern: 'https://*.mypurecloud.com/*', platform: 'genesys', url: 'https://apps.mypurecloud.com/directory/' },
  { pattern: 'https://*.mypurecloud.ie/*', platform: 'genesys', url: 'https://apps.mypurecloud.ie/directory/' },
  { pattern: 'https://*.mypurecloud.de/*', platform: 'genesys', url: 'https://apps.mypurecloud.de/directory/' },
  { pattern: 'https://*.mypurecloud.jp/*', platform: 'genesys', url: 'https://apps.mypurecloud.jp/directory/' },
  { pattern: 'https://*.mypurecloud.com.au/*', platform: 'genesys', url: 'https://apps.mypurecloud.com.au/directory/' },
  { pattern: 'https://*.pure.cloud/*', platform: 'genesys', url: 'https://apps.use2.pure.cloud/directory/' },
];

/** A page of a platform's host that no built-in pattern covers: the widened Connect registration must stay idle there. */
export const OUT_OF_SCOPE_URL = 'https://acme.awsapps.com/start/';

/** Every host name the shapes use (for Chromium's host-resolver rules or Firefox's localDomains). */
export function platformHosts(): string[] {
  return [...new Set([...PLATFORM_URL_SHAPES.map((shape) => shape.url), OUT_OF_SCOPE_URL].map((url) => new URL(url).hostname))];
}

/** A self-signed certificate (openssl) for every platform host, valid one day. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-cert-'));
  try {
    const san = platformHosts().map((host) => `DNS:${host}`).join(',');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=e2e platforms',
      '-addext', `subjectAltName=${san}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The part of a browser page the scenario needs: playwright-core's and puppeteer-core's pages both fit. */
export interface ScenarioPage {
  goto(url: string): Promise<unknown>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/** Platform labels of the connection groups in the gateway whose origin label is `origin`. */
async function platformsFrom(gateway: Pushgateway, origin: string): Promise<string[]> {
  return (await connectionGroups(gateway)).flatMap((group) => {
    // platform and origin are on the group's key or on each of its webrtc_ series, as the encoder puts them.
    const sample = Object.entries(group.families)
      .filter(([name]) => name.startsWith('webrtc_'))
      .flatMap(([, family]) => family.metrics)
      .find((metric) => metric.labels.origin !== undefined || group.labels.origin !== undefined);
    const labels = { ...sample?.labels, ...group.labels };
    return labels.origin === origin ? [labels.platform ?? ''] : [];
  });
}

/**
 * Starts a call in the about:blank iframe of a page of a platform host that no pattern covers,
 * then of every platform URL shape in turn (at `port`), and expects two connection groups per
 * shape with that platform's label, and still none from the first page at the end.
 */
export async function expectCaptureOnEveryPlatformShape(
  openPage: () => Promise<ScenarioPage>,
  gateway: Pushgateway,
  port: number,
): Promise<void> {
  const atPort = (url: string) => {
    const parsed = new URL(url);
    parsed.port = String(port);
    return parsed;
  };
  const outOfScope = await openPage();
  try {
    await outOfScope.goto(`${atPort(OUT_OF_SCOPE_URL).href}iframe.html`);
    await outOfScope.evaluate(() => window.startCall({ video: false }).then(() => undefined));
    for (const shape of PLATFORM_URL_SHAPES) {
      const page = await openPage();
      try {
        await page.goto(`${atPort(shape.url).href}iframe.html?shape=1`);
        await page.evaluate(() => window.startCall({ video: false }).then(() => undefined));
        const platforms = await waitFor(
          async () => {
            const found = await platformsFrom(gateway, atPort(shape.url).origin);
            return found.length >= 2 ? found : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 250, what: `two groups from ${shape.url} (${shape.pattern})` },
        );
        expect(platforms, `platform of ${shape.url}`).toEqual([shape.platform, shape.platform]);
      } finally {
        await page.close().catch(() => {});
      }
    }
    // Many push intervals later, the out-of-scope page's call has still not been exported.
    expect(await platformsFrom(gateway, atPort(OUT_OF_SCOPE_URL).origin)).toEqual([]);
  } finally {
    await outOfScope.close().catch(() => {});
  }
}

/** Every built-in match pattern has a URL shape above (a new pattern needs one). */
export function builtinPatternsWithoutShape(): string[] {
  const covered = new Set(PLATFORM_URL_SHAPES.map((shape) => shape.pattern));
  return BUILTIN_PLATFORMS.flatMap((platform) => [...platform.matches]).filter((pattern) => !covered.has(pattern));
}
