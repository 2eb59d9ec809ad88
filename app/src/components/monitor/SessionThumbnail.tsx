import { useEffect, useState } from 'react';
import { useMonitorController } from '../../monitor/react';

/** The server makes a new thumbnail at most once per second; asking more often gains nothing. */
export const THUMBNAIL_REFRESH_MS = 1000;

/**
 * The participant's camera thumbnail while they share it; gone as soon as the list says they
 * stopped (the server refuses it from that moment too).
 */
export function SessionThumbnail({ anonId, name }: { anonId: string; name: string }) {
  const controller = useMonitorController();
  const [url, setUrl] = useState<string | null>(null);

  useEffect(() => {
    const lifetime = new AbortController();
    let shown: string | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const show = (next: string | null): void => {
      if (shown !== null) URL.revokeObjectURL(shown);
      shown = next;
      setUrl(next);
    };
    const refresh = async (): Promise<void> => {
      try {
        const jpeg = await controller.thumbnail(anonId, lifetime.signal);
        if (lifetime.signal.aborted) return;
        show(jpeg === null ? null : URL.createObjectURL(jpeg));
      } catch {
        return; // aborted: the card is gone or the participant stopped sharing
      }
      timer = setTimeout(() => void refresh(), THUMBNAIL_REFRESH_MS);
    };
    void refresh();
    return () => {
      lifetime.abort();
      if (timer !== null) clearTimeout(timer);
      show(null);
    };
  }, [controller, anonId]);

  return (
    <div className="monitor-thumbnail" data-testid="monitor-thumbnail">
      {url === null ? (
        <span className="monitor-note">Waiting for the camera picture…</span>
      ) : (
        <img src={url} alt={`Camera of ${name}, shared by the participant`} />
      )}
    </div>
  );
}
