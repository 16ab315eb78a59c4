import { defineConfig } from 'wxt';
import { noDynamicCode } from './utils/build/no-dynamic-code';
import { GECKO_ID, TEST_BUILD_PUBLIC_KEY } from './utils/build/store-identity';

/**
 * Test builds (E2E_LOOPBACK=1) also hold loopback host permissions at install, because a
 * headless browser cannot answer the permission prompt that a user answers in the options page.
 */
const loopbackForTests = process.env.E2E_LOOPBACK === '1' ? ['http://127.0.0.1/*', 'http://localhost/*'] : [];

/** Rendered from scripts/icons/icon.svg by scripts/render-icons.mjs; WXT lists them as `icons` itself. */
const ACTION_ICONS = { 16: 'icon/16.png', 32: 'icon/32.png', 48: 'icon/48.png' };

export default defineConfig({
  modules: ['@wxt-dev/module-vue'],
  // Static hoisting would let Vue insert stringified template parts through innerHTML, which AMO's
  // linter flags; without it that branch never runs (utils/build/no-dynamic-code.ts removes it).
  vue: { vite: { template: { compilerOptions: { hoistStatic: false } } } },
  vite: () => ({ plugins: [noDynamicCode()] }),
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
    action: { default_title: 'WebRTC Stats Exporter', default_icon: ACTION_ICONS },
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: GECKO_ID,
              strict_min_version: '142.0',
              // What is sent to the gateway the user or admin configures (docs/privacy.md):
              // the origin of call pages (browsing activity), when calls run and how long on those
              // sites (website activity), and the agent id, which names a person (personally identifying).
              data_collection_permissions: {
                required: ['browsingActivity', 'websiteActivity', 'personallyIdentifyingInfo'],
              },
            },
          },
        }
      : {
          // Admins set policy through storage.managed; Chrome reads its shape from this schema.
          storage: { managed_schema: 'managed_schema.json' },
          // Test builds get a fixed id (see TEST_BUILD_PUBLIC_KEY) for the managed-policy test.
          ...(process.env.E2E_LOOPBACK === '1' ? { key: TEST_BUILD_PUBLIC_KEY } : {}),
        }),
  }),
});
