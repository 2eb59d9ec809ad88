import { defineConfig } from 'vitest/config';

// The browser end-to-end test: a real server, headless Chromium, a fake camera fed from a video.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
