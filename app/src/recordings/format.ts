// How the recordings pages write times, durations and counts.

/** Recording time as m:ss.s (e.g. 1:05.3). */
export function clockTime(seconds: number): string {
  const safe = Math.max(0, Number.isFinite(seconds) ? seconds : 0);
  const minutes = Math.floor(safe / 60);
  const rest = safe - minutes * 60;
  return `${minutes}:${rest.toFixed(1).padStart(4, '0')}`;
}

/** A duration in words: 42.0 s, 3 min 05 s. */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds - minutes * 60)).padStart(2, '0')} s`;
}

/** A server time (ns since the epoch) as local date and time. */
export function startTime(unixNs: number): string {
  return new Date(unixNs / 1e6).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

/** The recording's length from its start and stop times, or null while it runs. */
export function recordingDurationS(
  startedUnixNs: number,
  stoppedUnixNs: number | null,
): number | null {
  return stoppedUnixNs === null ? null : Math.max(0, (stoppedUnixNs - startedUnixNs) / 1e9);
}

/** A share as a percentage ('–' for none). */
export function percent(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 100)} %`;
}
