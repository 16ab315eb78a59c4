import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  captureUrl,
  captureUrlOf,
  deletesForTargetChange,
  targetTag,
  isEndedByNavigation,
  isEndedBySettings,
  isFromLeavingDocument,
  isOrphanedAtInstall,
  tabCapture,
} from '@/utils/background/group-lifecycle';
import { BUILTIN_PLATFORMS } from '@/utils/platforms/builtin-platforms';
import { defaultSettings, type Settings } from '@/utils/settings/settings-schema';
import { trackedConnection } from '../integrity/tracked-connection';

function settingsWith(overrides: Partial<Settings>): Settings {
  return { ...defaultSettings(), ...overrides };
}

/** A page URL under a match pattern: wildcards filled in, a call path and query. */
function urlUnder(pattern: string): string {
  return pattern.replace('*.', 'tenant.').replace(/\*$/, 'ccp-v2/softphone') + '?contact=123';
}

/** Built-in patterns whose path is more than `/*`: an origin alone never matches them. */
const builtinPathPatterns = BUILTIN_PLATFORMS.flatMap((platform) =>
  platform.matches
    .filter((match) => match.replace(/^https:\/\/[^/]+/, '') !== '/*')
    .map((match) => [platform.id, match] as const),
);

describe('captureUrl', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    ['https://tenant.awsapps.com/connect/ccp-v2/?contact=1#x', 'https://tenant.awsapps.com/connect/ccp-v2/'],
    ['http://127.0.0.1:8080/app/call.html?id=meeting-42&secret=hunter2', 'http://127.0.0.1:8080/app/call.html'],
    ['about:blank', ''],
    ['not a url', ''],
  ])('keeps origin and path of %s, never query or fragment', (url, expected) => {
    expect(captureUrl(url)).toBe(expected);
  });
});

describe('isEndedBySettings', () => {
  beforeEach(() => fakeBrowser.reset());

  it('has a built-in pattern with a path to test (Amazon Connect)', () => {
    expect(builtinPathPatterns.map(([, match]) => match)).toContain('https://*.awsapps.com/connect/*');
  });

  it.each(builtinPathPatterns)('keeps a %s connection on %s captured across a settings save', (_id, pattern) => {
    const url = captureUrl(urlUnder(pattern));
    const entry = trackedConnection('g1', { origin: new URL(url).origin, url });
    expect(isEndedBySettings(entry, defaultSettings())).toBe(false);
  });

  it.each(builtinPathPatterns)('ends a %s connection on %s once its platform is switched off', (id, pattern) => {
    const url = captureUrl(urlUnder(pattern));
    const entry = trackedConnection('g1', { origin: new URL(url).origin, url });
    const settings = defaultSettings();
    expect(isEndedBySettings(entry, { ...settings, platforms: { ...settings.platforms, [id]: false } })).toBe(true);
  });

  it('keeps a connection under a custom pattern with a path, and ends one outside that path', () => {
    const settings = settingsWith({ customOrigins: ['http://127.0.0.1/agent/*'] });
    const inside = trackedConnection('g1', { origin: 'http://127.0.0.1:8080', url: 'http://127.0.0.1:8080/agent/call.html' });
    const outside = trackedConnection('g2', { origin: 'http://127.0.0.1:8080', url: 'http://127.0.0.1:8080/other/call.html' });
    expect(isEndedBySettings(inside, settings)).toBe(false);
    expect(isEndedBySettings(outside, settings)).toBe(true);
  });

  it('ends a connection whose origin the user switched off', () => {
    const settings = settingsWith({ disabledOrigins: ['https://meet.google.com'] });
    expect(isEndedBySettings(trackedConnection('g1', { url: 'https://meet.google.com/abc-defg-hij' }), settings)).toBe(true);
  });

  it('decides on the origin for an entry saved before frame URLs were kept', () => {
    const entry = trackedConnection('g1');
    expect(captureUrlOf(entry)).toBe('https://meet.google.com/');
    expect(isEndedBySettings(entry, defaultSettings())).toBe(false);
  });
});

describe('tabCapture', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    ['no connections', [], 'on'],
    ['an Amazon Connect CCP connection', [{ origin: 'https://t.awsapps.com', url: 'https://t.awsapps.com/connect/ccp-v2/' }], 'on'],
    ['a connection on a page no longer captured', [{ origin: 'https://t.awsapps.com', url: 'https://t.awsapps.com/other/' }], 'off'],
  ] as const)('says %s is %s', (_name, entries, expected) => {
    expect(tabCapture(entries, defaultSettings())).toBe(expected);
  });
});

describe('isEndedByNavigation', () => {
  beforeEach(() => fakeBrowser.reset());

  const top = trackedConnection('g1', { tabId: 4, frameId: 0 });
  const sub = trackedConnection('g2', { tabId: 4, frameId: 7 });
  const otherTab = trackedConnection('g3', { tabId: 5, frameId: 0 });

  it.each([
    ['a new top document ends the top frame', top, { tabId: 4, frameId: 0 }, true],
    ['a new top document ends every subframe of the tab', sub, { tabId: 4, frameId: 0 }, true],
    ['a new subframe document ends that frame', sub, { tabId: 4, frameId: 7 }, true],
    ['a new subframe document leaves the top frame', top, { tabId: 4, frameId: 7 }, false],
    ['a navigation in another tab ends nothing here', otherTab, { tabId: 4, frameId: 0 }, false],
    ['a prerendered page replaces nothing', top, { tabId: 4, frameId: 0, documentLifecycle: 'prerender' }, false],
    ['a commit ends a connection first reported before it', top, { tabId: 4, frameId: 0, timeStamp: 1_500 }, true],
    ['a commit seen late leaves a connection first reported after it (the new document’s)', top, { tabId: 4, frameId: 0, timeStamp: 999 }, false],
  ])('%s', (_name, entry, commit, ended) => {
    expect(isEndedByNavigation(entry, commit)).toBe(ended);
  });
});

describe('isFromLeavingDocument', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    [undefined, false],
    ['active', false],
    ['prerender', false],
    ['pending_deletion', true],
    ['cached', true],
  ])('says a sender whose document is %s is leaving: %s', (documentLifecycle, leaving) => {
    expect(isFromLeavingDocument(documentLifecycle === undefined ? {} : { documentLifecycle })).toBe(leaving);
  });
});

describe('isOrphanedAtInstall', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    [1_999, 2_000, true],
    [2_000, 2_000, false],
    [2_500, 2_000, false],
  ])('a connection last reported at %i is orphaned by a worker started at %i: %s', (lastReportAt, startedAt, orphaned) => {
    expect(isOrphanedAtInstall({ lastReportAt }, startedAt)).toBe(orphaned);
  });
});

describe('deletesForTargetChange', () => {
  beforeEach(() => fakeBrowser.reset());

  const earlier = { url: 'https://old.example:9091', job: 'webrtc', credentialsRef: 'r1' };

  it.each([
    ['quality', { peer_connection_id: 'g1', call_id: 'c1', agent_id: 'a' }],
    ['legacy', { peerConnectionId: 'g1' }],
  ] as const)('binds a delete of every exported group to the earlier target under the %s grouping key it was pushed with', (_profile, key) => {
    const deletes = deletesForTargetChange(
      [
        { groupId: 'g1', groupingKey: key },
        { groupId: 'g2', groupingKey: { peer_connection_id: 'g2' } },
      ],
      earlier,
    );
    expect(deletes).toHaveLength(2);
    expect(deletes[0]).toEqual({ outboxId: `g1@${targetTag(earlier)}`, groupingKey: key, target: earlier });
  });

  it('uses outbox ids of their own, so the next snapshot of the group does not replace the delete', () => {
    const [item] = deletesForTargetChange([{ groupId: 'g1', groupingKey: { peer_connection_id: 'g1' } }], earlier);
    expect(item!.outboxId).not.toBe('g1');
    expect(targetTag(earlier)).not.toBe(targetTag({ ...earlier, job: 'other' }));
  });
});
