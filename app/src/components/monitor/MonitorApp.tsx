import { useEffect, useMemo, useState } from 'react';
import { MonitorController } from '../../monitor/controller';
import { INITIAL_MONITOR_STATE } from '../../monitor/monitorState';
import { MonitorContext } from '../../monitor/react';
import { tokenFromHash } from '../../monitor/token';
import { createStore } from '../../store/store';
import { MonitorPage } from './MonitorPage';

export interface MonitorAppProps {
  /** The server's origin. */
  serverUrl: string;
  fetch?: typeof fetch;
  pollIntervalMs?: number;
}

/** The /monitor page: reads its token from the URL fragment and polls the server with it. */
export function MonitorApp({ serverUrl, fetch: fetchImpl, pollIntervalMs }: MonitorAppProps) {
  const [token, setToken] = useState(() => tokenFromHash(window.location.hash));
  const [store] = useState(() => createStore(INITIAL_MONITOR_STATE));

  // A link pasted over the fragment of an open page changes the token without a reload.
  useEffect(() => {
    const onHashChange = (): void => setToken(tokenFromHash(window.location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  const controller = useMemo(
    () =>
      new MonitorController({
        store,
        serverUrl,
        token,
        ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
        ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
      }),
    [store, serverUrl, token, fetchImpl, pollIntervalMs],
  );

  useEffect(() => {
    controller.start();
    return () => controller.stop();
  }, [controller]);

  const context = useMemo(() => ({ store, controller }), [store, controller]);
  return (
    <MonitorContext value={context}>
      <MonitorPage />
    </MonitorContext>
  );
}
