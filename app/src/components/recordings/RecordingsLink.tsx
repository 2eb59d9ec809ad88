import { useEffect, useState } from 'react';
import { hashForView } from '../../recordings/route';
import './recordings.css';

/** The monitor's link to the recordings, carrying the token in the fragment. */
export function RecordingsLink() {
  const [hash, setHash] = useState(() => window.location.hash);

  useEffect(() => {
    const onHashChange = (): void => setHash(window.location.hash);
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  return (
    <a
      className="button button-quiet monitor-page-link recordings-link"
      href={hashForView(hash, { page: 'recordings' })}
    >
      Recordings
    </a>
  );
}
