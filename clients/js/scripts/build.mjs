// Builds dist/: gazertc.js (classic script defining window.gazertc), gazertc.mjs (ES module),
// jspsych-gazertc.js (classic script, when src/jspsych/index.ts exists) and types/ (.d.ts).
//
//   node scripts/build.mjs   (npm run build)
//
// The protocol validators are compiled from the server's schema first (by the app's script,
// which has ajv), so a build never ships stale ones.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(ROOT, 'dist');
const VALIDATORS_SCRIPT = resolve(ROOT, '../../app/scripts/generate-validators.mjs');

/** Browsers from 2022 on: what WebRTC, OffscreenCanvas and requestVideoFrameCallback need. */
const TARGET = 'es2022';
const version = /export const version = '([^']+)'/.exec(
  readFileSync(resolve(ROOT, 'src/version.ts'), 'utf8'),
)?.[1];
if (version === undefined) throw new Error('no version in src/version.ts');
const banner = { js: `/* gazertc-client ${version} | MIT */` };

execFileSync(process.execPath, [VALIDATORS_SCRIPT], { stdio: 'inherit' });
rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: true,
  sourcemap: true,
  target: TARGET,
  banner,
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: [resolve(ROOT, 'src/index.ts')],
  outfile: resolve(DIST, 'gazertc.mjs'),
  format: 'esm',
});
await build({
  ...common,
  entryPoints: [resolve(ROOT, 'src/global.ts')],
  outfile: resolve(DIST, 'gazertc.js'),
  format: 'iife',
  // A classic script finds its URL through document.currentScript (src/client/serverUrl.ts).
  define: { 'import.meta.url': 'undefined' },
});
const jspsychEntry = resolve(ROOT, 'src/jspsych/index.ts');
if (existsSync(jspsychEntry)) {
  await build({
    ...common,
    entryPoints: [jspsychEntry],
    outfile: resolve(DIST, 'jspsych-gazertc.js'),
    format: 'iife',
  });
}

execFileSync(
  process.execPath,
  [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', resolve(ROOT, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
// tsc emits declarations for .ts sources only; the generated validators' are written by hand.
copyFileSync(
  resolve(ROOT, 'src/protocol/validators.gen.d.ts'),
  resolve(DIST, 'types/protocol/validators.gen.d.ts'),
);
console.log(`built ${DIST}`);
