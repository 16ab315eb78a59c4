import { defineConfig } from 'wxt';

/**
 * Test builds (E2E_LOOPBACK=1) also hold loopback host permissions at install, because a
 * headless browser cannot answer the permission prompt that a user answers in the options page.
 */
const loopbackForTests = process.env.E2E_LOOPBACK === '1' ? ['http://127.0.0.1/*', 'http://localhost/*'] : [];

export default defineConfig({
  modules: ['@wxt-dev/module-vue'],
  // Parallel test runs build into their own folders (WXT_OUT_DIR) so they never swap files under a running browser.
  outDir: process.env.WXT_OUT_DIR ?? '.output',
  manifestVersion: 3,
  manifest: ({ browser }) => ({
    name: 'WebRTC Stats Exporter',
    description:
      'Exports WebRTC call quality (bitrate, loss, jitter, RTT, freezes) to a Prometheus Pushgateway.',
    // webNavigation: a reload or navigation ends the old document's calls at once (their groups are
    // deleted) instead of leaving them ~60-77 s for the stale sweep; no other event tells a new
    // document from a same-document history change.
    permissions: ['storage', 'alarms', 'scripting', 'activeTab', 'webNavigation'],
    host_permissions: loopbackForTests,
    optional_host_permissions: ['http://*/*', 'https://*/*'],
    action: { default_title: 'WebRTC Stats Exporter' },
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'webrtc-stats-exporter@example.org',
              strict_min_version: '142.0',
              data_collection_permissions: { required: ['none'] },
            },
          },
        }
      : // Admins set policy through storage.managed; Chrome reads its shape from this schema.
        { storage: { managed_schema: 'managed_schema.json' } }),
  }),
});
