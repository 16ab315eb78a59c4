import { describe, expect, it } from 'vitest';
import { decideCapture, excludedMatchPatterns, wantedMatchPatterns } from '@/utils/platforms/capture-scope';
import { defaultSettings, type Settings } from '@/utils/settings/settings-schema';

function settingsWith(patch: Partial<Settings>): Settings {
  return { ...defaultSettings(), ...patch };
}

describe('decideCapture', () => {
  it.each([
    ['https://teams.microsoft.com/_#/conversations', 'teams', true],
    ['https://teams.live.com/v2/', 'teams', true],
    ['https://teams.cloud.microsoft/', 'teams', true],
    ['https://meet.google.com/abc-defg-hij?authuser=0', 'meet', true],
    ['https://acme.my.connect.aws/ccp-v2/', 'connect', true],
    ['https://acme.awsapps.com/connect/ccp-v2', 'connect', true],
    ['https://apps.mypurecloud.com/directory/', 'genesys', true],
    ['https://apps.mypurecloud.ie/', 'genesys', true],
    ['https://apps.usw2.pure.cloud/', 'genesys', true],
    ['https://teams.microsoft.com.evil.example/', null, false],
    ['https://evil.example/teams.microsoft.com/', null, false],
    ['https://acme.awsapps.com/other', null, false],
    ['http://meet.google.com/', null, false],
  ])('classifies %s as %s (enabled: %s)', (url, platform, enabled) => {
    const decision = decideCapture(url, defaultSettings());
    expect(decision.platform).toBe(platform);
    expect(decision.enabled).toBe(enabled);
  });

  it('captures nothing on a built-in platform that is switched off', () => {
    const settings = settingsWith({ platforms: { ...defaultSettings().platforms, meet: false } });
    expect(decideCapture('https://meet.google.com/x', settings)).toMatchObject({ platform: 'meet', enabled: false });
  });

  it('captures a custom origin on any port, and not once its origin is switched off', () => {
    const settings = settingsWith({ customOrigins: ['http://127.0.0.1/*'] });
    expect(decideCapture('http://127.0.0.1:8080/call.html?x=1', settings)).toEqual({
      platform: 'custom',
      enabled: true,
      origin: 'http://127.0.0.1:8080',
    });
    const off = { ...settings, disabledOrigins: ['http://127.0.0.1:8080'] };
    expect(decideCapture('http://127.0.0.1:8080/call.html', off).enabled).toBe(false);
  });

  it('does not capture opaque or unparsable URLs', () => {
    expect(decideCapture('about:blank', defaultSettings()).enabled).toBe(false);
    expect(decideCapture('not a url', defaultSettings()).platform).toBeNull();
  });
});

describe('wantedMatchPatterns', () => {
  it('lists enabled platforms and custom origins once each', () => {
    const settings = settingsWith({
      platforms: { teams: false, meet: true, connect: false, genesys: false },
      customOrigins: ['https://calls.example.com/*', 'https://meet.google.com/*'],
    });
    expect(wantedMatchPatterns(settings)).toEqual(['https://meet.google.com/*', 'https://calls.example.com/*']);
  });

  it('turns switched-off origins into exclusion patterns', () => {
    const settings = settingsWith({ disabledOrigins: ['https://meet.google.com', 'garbage'] });
    expect(excludedMatchPatterns(settings)).toEqual(['https://meet.google.com/*']);
  });
});
