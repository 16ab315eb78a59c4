import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { isExtensionPageSender, NotFromExtensionPageError, uiOnly } from '@/utils/background/ui-sender-guard';

const BASE = 'chrome-extension://abcdefghijklmnop/';

describe('isExtensionPageSender', () => {
  beforeEach(() => fakeBrowser.reset());

  it.each([
    ['the popup (no tab)', { id: 'abcdefghijklmnop', url: `${BASE}popup.html` }],
    ['the options page opened in a tab', { id: 'abcdefghijklmnop', url: `${BASE}options.html#gateway`, tab: { id: 3 }, origin: 'chrome-extension://abcdefghijklmnop' }],
    ['a Firefox extension page', { url: 'moz-extension://1234-5678/options.html' }],
  ])('accepts %s', (_name, sender) => {
    const base = sender.url.startsWith('moz-') ? 'moz-extension://1234-5678/' : BASE;
    expect(isExtensionPageSender(sender, base)).toBe(true);
  });

  it.each([
    ['a content script in a tab (same extension id)', { id: 'abcdefghijklmnop', url: 'https://meet.google.com/abc', tab: { id: 3 }, origin: 'https://meet.google.com' }],
    ['a content script in an about:blank frame', { id: 'abcdefghijklmnop', url: 'about:blank', tab: { id: 3 }, origin: 'https://meet.google.com' }],
    ['another extension', { id: 'other', url: 'chrome-extension://otherextensionid/page.html' }],
    ['a sender without a URL', { id: 'abcdefghijklmnop' }],
    ['an extension URL with a page origin', { url: `${BASE}options.html`, origin: 'https://evil.example' }],
    ['a look-alike host', { url: 'chrome-extension://abcdefghijklmnop.evil/options.html' }],
  ])('refuses %s', (_name, sender) => {
    expect(isExtensionPageSender(sender, BASE)).toBe(false);
  });
});

describe('uiOnly', () => {
  beforeEach(() => fakeBrowser.reset());

  it('runs the handler for an extension page and answers with its result', () => {
    const handler = uiOnly('getHealth', () => BASE, () => 'healthy');
    expect(handler({ sender: { url: `${BASE}popup.html` } })).toBe('healthy');
  });

  it('throws a clear error for a content script and never runs the handler', () => {
    let ran = false;
    const handler = uiOnly('setOriginCapture', () => BASE, () => {
      ran = true;
    });
    expect(() => handler({ sender: { url: 'https://meet.google.com/', tab: { id: 1 } } })).toThrow(NotFromExtensionPageError);
    expect(() => handler({ sender: { url: 'https://meet.google.com/', tab: { id: 1 } } })).toThrow(
      '"setOriginCapture" is only accepted from the extension\'s own pages',
    );
    expect(ran).toBe(false);
  });
});
