// Where the server is by default: the origin this library was loaded from (a page on another
// origin that loads /lib/gazertc.js from the server talks to that server), else the page's own.

/** The script's URL, read while it runs: `document.currentScript` only exists then. */
function loadingScriptUrl(): string | null {
  if (typeof document === 'undefined') return null;
  const script = document.currentScript;
  if (script instanceof HTMLScriptElement && script.src !== '') return script.src;
  // An ES module has no currentScript; the IIFE build defines import.meta.url away (undefined).
  const moduleUrl = import.meta.url as string | undefined;
  return moduleUrl !== undefined && /^https?:/.test(moduleUrl) ? moduleUrl : null;
}

const LOADED_FROM = loadingScriptUrl();

/** The origin the script was loaded from, else `location.origin`. */
export function defaultServerUrl(): string {
  if (LOADED_FROM !== null) return new URL(LOADED_FROM).origin;
  return typeof location === 'undefined' ? 'http://127.0.0.1:3000' : location.origin;
}
