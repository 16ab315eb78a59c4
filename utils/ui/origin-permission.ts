/**
 * The host-permission pattern that lets the background reach a gateway URL: its scheme and host
 * with `/*`. The port is left out because match patterns ignore ports (and Firefox rejects a
 * port in one); `http://127.0.0.1/*` covers `http://127.0.0.1:9091`.
 * Undefined for an empty or non-http(s) URL.
 */
export function gatewayPermissionPattern(url: string): string | undefined {
  const trimmed = url.trim();
  if (trimmed === '') return undefined;
  try {
    const parsed = new URL(trimmed);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    if (parsed.hostname === '') return undefined;
    return `${parsed.protocol}//${parsed.hostname}/*`;
  } catch {
    return undefined;
  }
}

/**
 * Asks the browser for host permissions. Must be called synchronously from a click handler
 * (a user gesture), before any await, or the browser refuses without asking.
 * Resolves false when refused or when the browser throws (an invalid pattern).
 */
export function requestOriginPermission(
  permissions: { request(p: { origins: string[] }): Promise<boolean> },
  origins: string[],
): Promise<boolean> {
  if (origins.length === 0) return Promise.resolve(true);
  try {
    return permissions.request({ origins }).catch(() => false);
  } catch {
    return Promise.resolve(false);
  }
}

/**
 * Host permissions that saving `next` over `previous` no longer needs: custom origins that were
 * removed, unless the same pattern still serves another purpose (the gateway's or the remote-write receiver's host, or a
 * custom origin still listed). The browser keeps a granted permission until it is given back.
 */
export function originsToRelease(
  previous: { customOrigins: readonly string[] },
  next: { customOrigins: readonly string[]; gateway: { url: string }; remoteWrite?: { url: string } },
): string[] {
  const stillNeeded = new Set([
    ...next.customOrigins,
    gatewayPermissionPattern(next.gateway.url),
    gatewayPermissionPattern(next.remoteWrite?.url ?? ''),
  ]);
  return previous.customOrigins.filter((pattern) => !stillNeeded.has(pattern));
}

/**
 * Gives host permissions back to the browser. Never throws: a pattern the browser refuses to
 * remove (a permission granted at install) resolves false, and the rest of the save stands.
 */
export function releaseOriginPermission(
  permissions: { remove(p: { origins: string[] }): Promise<boolean> },
  origins: string[],
): Promise<boolean> {
  if (origins.length === 0) return Promise.resolve(true);
  try {
    return permissions.remove({ origins }).catch(() => false);
  } catch {
    return Promise.resolve(false);
  }
}
