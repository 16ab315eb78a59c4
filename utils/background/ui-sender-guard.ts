/** What the guard reads of a message sender (a subset of `runtime.MessageSender`). */
export interface UiSenderLike {
  id?: string;
  url?: string;
  origin?: string;
  tab?: unknown;
}

/** Thrown (and so answered as an error) when a UI-only message comes from anything but an extension page. */
export class NotFromExtensionPageError extends Error {
  constructor(type: string) {
    super(`"${type}" is only accepted from the extension's own pages`);
    this.name = 'NotFromExtensionPageError';
  }
}

/**
 * True when a message was sent by one of this extension's own pages (options, popup), whether
 * opened in a tab or not. A content script shares the extension id, so the id alone proves
 * nothing: the browser-given document URL (and origin, where the browser gives one) must be the
 * extension's. A page cannot forge either.
 *
 * @param extensionBaseUrl `runtime.getURL('/')`, e.g. `chrome-extension://<id>/`.
 */
export function isExtensionPageSender(sender: UiSenderLike, extensionBaseUrl: string): boolean {
  // Scheme and host, not `URL.origin`: that is "null" for chrome-extension:// URLs outside browsers.
  const expected = schemeAndHost(extensionBaseUrl);
  if (!expected) return false;
  const fromUrl = sender.url ? schemeAndHost(sender.url) : null;
  if (fromUrl !== expected) return false;
  if (sender.origin !== undefined && sender.origin !== expected) return false;
  return true;
}

function schemeAndHost(url: string): string | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)/i.exec(url);
  return match ? match[1]!.toLowerCase() : null;
}

/**
 * Wraps a UI-only message handler so that any other sender (a content script, a page) gets an
 * error and the handler never runs.
 */
export function uiOnly<S extends UiSenderLike, A extends { sender: S }, R>(
  type: string,
  extensionBaseUrl: () => string,
  handler: (message: A) => R,
): (message: A) => R {
  return (message) => {
    if (!isExtensionPageSender(message.sender, extensionBaseUrl())) throw new NotFromExtensionPageError(type);
    return handler(message);
  };
}
