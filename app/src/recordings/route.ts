// Where the recordings pages live: the monitor's address with a fragment naming them
// (`/monitor#token=...&view=recordings`, `...&recording=ID`), so the token stays in the fragment,
// which the browser never sends, and the server needs no new page.

export type HostView =
  { page: 'monitor' } | { page: 'recordings' } | { page: 'recording'; recordingId: string };

/** Longest recording id the fragment may name (ids are 32 hex digits; short ids fewer). */
const MAX_RECORDING_ID_LENGTH = 64;

function params(hash: string): URLSearchParams {
  return new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
}

export function hostViewFromHash(hash: string): HostView {
  const values = params(hash);
  const recordingId = values.get('recording')?.trim() ?? '';
  if (recordingId !== '' && recordingId.length <= MAX_RECORDING_ID_LENGTH) {
    return { page: 'recording', recordingId };
  }
  return values.get('view') === 'recordings' ? { page: 'recordings' } : { page: 'monitor' };
}

/** The fragment of `hash` (its token kept) that opens `view`. */
export function hashForView(hash: string, view: HostView): string {
  const values = params(hash);
  values.delete('view');
  values.delete('recording');
  if (view.page === 'recordings') values.set('view', 'recordings');
  if (view.page === 'recording') values.set('recording', view.recordingId);
  return `#${values.toString()}`;
}
