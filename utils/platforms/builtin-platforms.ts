/**
 * The meeting and contact-centre platforms the extension knows out of the box. Each is
 * enabled by default and can be switched off in the options page (or by policy).
 * Hosts are matched exactly through match patterns: no substring matching, so
 * `teams.microsoft.com.evil.example` is not Teams.
 */
export const BUILTIN_PLATFORMS = [
  {
    id: 'teams',
    name: 'Microsoft Teams',
    matches: [
      'https://teams.microsoft.com/*',
      'https://teams.live.com/*',
      'https://teams.cloud.microsoft/*',
    ],
  },
  {
    id: 'meet',
    name: 'Google Meet',
    matches: ['https://meet.google.com/*'],
  },
  {
    id: 'connect',
    name: 'Amazon Connect',
    matches: ['https://*.my.connect.aws/*', 'https://*.awsapps.com/connect/*'],
  },
  {
    id: 'genesys',
    name: 'Genesys Cloud',
    // Match patterns cannot wildcard a top-level domain, so each Genesys region's domain is listed.
    matches: [
      'https://*.mypurecloud.com/*',
      'https://*.mypurecloud.ie/*',
      'https://*.mypurecloud.de/*',
      'https://*.mypurecloud.jp/*',
      'https://*.mypurecloud.com.au/*',
      'https://*.pure.cloud/*',
    ],
  },
] as const;

export type BuiltinPlatform = (typeof BUILTIN_PLATFORMS)[number];
export type BuiltinPlatformId = BuiltinPlatform['id'];
export const BUILTIN_PLATFORM_IDS = BUILTIN_PLATFORMS.map((p) => p.id) as [
  BuiltinPlatformId,
  ...BuiltinPlatformId[],
];
/** Every built-in platform's match patterns: granted at install as host permissions. */
export const BUILTIN_MATCHES: string[] = BUILTIN_PLATFORMS.flatMap((p) => [...p.matches]);
