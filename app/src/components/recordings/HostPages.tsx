import { useEffect, useState } from 'react';
import { hostViewFromHash, type HostView } from '../../recordings/route';
import { MonitorApp, type MonitorAppProps } from '../monitor/MonitorApp';
import { RecordingsApp } from './RecordingsApp';

/** The host's pages at /monitor: the monitor, or the recordings when the fragment names them. */
export function HostPages(props: MonitorAppProps) {
  const [view, setView] = useState<HostView>(() => hostViewFromHash(window.location.hash));

  useEffect(() => {
    const onHashChange = (): void => setView(hostViewFromHash(window.location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  if (view.page === 'monitor') return <MonitorApp {...props} />;
  return (
    <RecordingsApp
      serverUrl={props.serverUrl}
      view={view}
      {...(props.fetch === undefined ? {} : { fetch: props.fetch })}
    />
  );
}
