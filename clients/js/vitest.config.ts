import { defineConfig } from 'vitest/config';

// The library's unit tests: plain modules in Node; DOM tests opt into jsdom with a
// @vitest-environment comment. The protocol validators are compiled from the schema first.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['../../app/scripts/generate-validators.mjs'],
    restoreMocks: true,
  },
});
