import { useEffect, useMemo } from 'react';
import { RecordingsApi } from '../../recordings/api';
import { hashForView, type HostView } from '../../recordings/route';
import { tokenFromHash } from '../../monitor/token';
import { RecordingList } from './RecordingList';
import { RecordingPage } from './RecordingPage';
import './recordings.css';

const TITLE = 'gazertc · recordings';

export interface RecordingsAppProps {
  /** The server's origin. */
  serverUrl: string;
  view: Exclude<HostView, { page: 'monitor' }>;
  fetch?: typeof fetch;
}

/** The stored recordings (host only): the list, or one recording's replay. */
export function RecordingsApp({ serverUrl, view, fetch: fetchImpl }: RecordingsAppProps) {
  // The view changes with the fragment, and so may the token: read it with the view.
  const token = tokenFromHash(window.location.hash);
  const api = useMemo(
    () =>
      token === null
        ? null
        : new RecordingsApi({
            serverUrl,
            token,
            ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
          }),
    [serverUrl, token, fetchImpl],
  );

  useEffect(() => {
    const previous = document.title;
    document.title = TITLE;
    return () => {
      document.title = previous;
    };
  }, []);

  const hash = window.location.hash;
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">gazertc</span>
        </div>
        <nav className="recordings-nav" aria-label="Host pages">
          {view.page === 'recording' && (
            <a className="button button-quiet" href={hashForView(hash, { page: 'recordings' })}>
              All recordings
            </a>
          )}
          <a className="button button-quiet" href={hashForView(hash, { page: 'monitor' })}>
            Monitor
          </a>
        </nav>
      </header>
      <main id="main" className="app-main recordings">
        {api === null ? (
          <p className="notice notice-error" role="alert" data-testid="recordings-problem">
            This page needs the host token: open it from the link <code>gazertc serve</code> printed
            (…/monitor#token=…).
          </p>
        ) : view.page === 'recording' ? (
          <RecordingPage
            key={`${token}:${view.recordingId}`}
            api={api}
            recordingId={view.recordingId}
          />
        ) : (
          <RecordingList
            key={token}
            api={api}
            hrefFor={(id) => hashForView(hash, { page: 'recording', recordingId: id })}
          />
        )}
      </main>
      <footer className="app-footer">
        gazertc {__APP_VERSION__} · recordings stored by this server
      </footer>
    </div>
  );
}
