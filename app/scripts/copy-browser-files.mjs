// After `vite build`: the files `gazertc serve` offers besides the app, copied into dist/ so the
// static route serves them and the wheel carries them (docs/browser-library.md):
//   dist/lib/                     the browser library's builds (clients/js/dist/*.js, *.mjs, maps)
//   dist/examples/jspsych/        the example experiment (examples/jspsych/)
//   dist/examples/jspsych/vendor/ jsPsych and its WebGazer extension and plugins (MIT), from
//                                 node_modules at the versions package.json pins
//
//   node scripts/copy-browser-files.mjs   (part of `npm run build`)

import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LIBRARY_DIST = resolve(APP, '../clients/js/dist');
const EXAMPLE = resolve(APP, '../examples/jspsych');
const DIST = resolve(APP, 'dist');
const MODULES = resolve(APP, 'node_modules');

/** Served name -> file in node_modules (the e2e pages serve the same list). */
const VENDOR_FILES = JSON.parse(
  readFileSync(resolve(APP, 'scripts/jspsych-vendor-files.json'), 'utf8'),
);

if (!existsSync(resolve(LIBRARY_DIST, 'gazertc.js'))) {
  console.error(
    `${LIBRARY_DIST} has no gazertc.js: build the library first (npm --prefix clients/js run build, or make app)`,
  );
  process.exit(1);
}
const lib = resolve(DIST, 'lib');
mkdirSync(lib, { recursive: true });
for (const file of readdirSync(LIBRARY_DIST)) {
  if (/\.(m?js|map)$/.test(file)) {
    cpSync(resolve(LIBRARY_DIST, file), resolve(lib, file));
  }
}

if (existsSync(EXAMPLE)) {
  const example = resolve(DIST, 'examples/jspsych');
  cpSync(EXAMPLE, example, { recursive: true });
  const vendor = resolve(example, 'vendor');
  mkdirSync(vendor, { recursive: true });
  for (const [name, source] of Object.entries(VENDOR_FILES)) {
    cpSync(resolve(MODULES, source), resolve(vendor, name));
  }
} else {
  console.warn(`no ${EXAMPLE}: /examples/jspsych/ will not be served`);
}
console.log(`copied the browser library and the jsPsych example into ${DIST}`);
