// Entry of dist/gazertc.js: defines `window.gazertc` explicitly (not through a top-level `var`),
// so the file works both as a classic script and when imported as a module.

import * as namespace from './index';

declare global {
  var gazertc: typeof namespace;
}

globalThis.gazertc = { ...namespace };
