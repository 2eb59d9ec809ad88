// Where the monitor page finds its token: the URL fragment (`/monitor#token=...`), which the
// browser never sends to the server. The page sends it in the Authorization header instead.

/** The path of the monitor page (with or without a trailing slash). */
export function isMonitorPath(pathname: string): boolean {
  return pathname.replace(/\/+$/, '') === '/monitor';
}

/** The token in a fragment such as `#token=abc`, or null when there is none. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token')?.trim() ?? '';
  return token === '' ? null : token;
}
