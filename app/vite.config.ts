import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** The version is written once, in the Python package; the footers and the hello message show it. */
const versionSource = fileURLToPath(new URL('../srv/gazertc/__init__.py', import.meta.url));
const version = /^__version__ = "([^"]+)"$/m.exec(readFileSync(versionSource, 'utf8'))?.[1];
if (version === undefined) throw new Error(`no __version__ = "..." line in ${versionSource}`);
/** The browser library (clients/js), compiled from its sources with the app: `gazertc-client/x`. */
const librarySources = fileURLToPath(new URL('../clients/js/src', import.meta.url));
/** Where `make run` serves the API; `npm run dev` forwards /offer, /health and /api there. */
const apiTarget = process.env['GAZERTC_API'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^gazertc-client$/, replacement: `${librarySources}/index.ts` },
      { find: /^gazertc-client\/(.+)$/, replacement: `${librarySources}/$1` },
    ],
  },
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: {
    target: 'es2022',
    sourcemap: true,
    // The compiled protocol validators, a third of the code, change only with the schema: a file
    // of their own (each file stays under Vite's 500 kB warning).
    rolldownOptions: {
      output: { codeSplitting: { groups: [{ name: 'validators', test: /validators\.gen\.js$/ }] } },
    },
  },
  server: {
    proxy: { '/offer': apiTarget, '/health': apiTarget, '/api': apiTarget },
  },
  test: {
    // Plain modules test in Node; component tests opt into jsdom with a @vitest-environment comment.
    environment: 'node',
    include: ['tests/**/*.test.{ts,tsx}'],
    // The protocol validators are compiled from the schema before the tests import them.
    globalSetup: ['scripts/generate-validators.mjs'],
    restoreMocks: true,
  },
});
