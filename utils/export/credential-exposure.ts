/** Gateway fields the check reads. */
export interface GatewayAuthLike {
  url: string;
  username: string;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A warning when basic-auth credentials would cross the network in clear text: a user name is
 * set and the gateway is `http://` on a host other than this machine. Null when it is safe
 * (https, loopback, no credentials) or the URL is not one.
 */
export function cleartextCredentialsWarning(gateway: GatewayAuthLike): string | null {
  if (gateway.username === '') return null;
  let url: URL;
  try {
    url = new URL(gateway.url.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return null;
  return `Basic auth over http:// to ${url.hostname}: the user name and password cross the network unencrypted. Use https://.`;
}
