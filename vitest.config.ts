import { defineConfig } from 'vitest/config';
import { WxtVitest } from 'wxt/testing/vitest-plugin';
// WxtVitest does not add the Vue module's plugin; component tests import .vue files.
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [WxtVitest(), vue()],
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/component/**/*.test.ts'],
          environment: 'node',
          restoreMocks: true,
        },
      },
      {
        test: {
          name: 'e2e-chromium',
          include: ['tests/e2e/chromium/**/*.e2e.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e-firefox',
          include: ['tests/e2e/firefox/**/*.e2e.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
