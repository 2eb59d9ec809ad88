import { useEffect, useState } from 'react';

/** Seconds until `atMs`, updated every second while counting down. */
export function useSecondsUntil(atMs: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (atMs === null) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [atMs]);
  return atMs === null ? null : Math.max(0, Math.ceil((atMs - now) / 1000));
}
