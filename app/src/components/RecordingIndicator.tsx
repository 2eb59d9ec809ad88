import { useEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import {
  PROTOCOL_VERSION,
  type RecordingInfo,
  type RecordingMessage,
} from 'gazertc-client/protocol';
import {
  recordingNoticeExpired,
  recordingRuns,
  recordingStopRequested,
  type RecordingActor,
  type RecordingState,
} from '../store/appState';
import { useAppState, useAppStore, useController } from '../store/react';

/** How long the notice of an ended recording stays (longer while it has the keyboard focus). */
export const ENDED_NOTICE_MS = 8000;

const STOP: RecordingMessage = { v: PROTOCOL_VERSION, type: 'recording', action: 'stop' };

const STARTED_BY: Record<RecordingInfo['started_by'], string> = {
  participant: 'you',
  host: 'the host of this server',
};

const STOPPED_BY: Record<RecordingActor, string> = {
  participant: 'you',
  host: 'the host of this server',
  server: 'the server',
};

/**
 * What the indicator says first, and announces: who started the recording (and that the camera's
 * video is stored with it, when it is), or how it ended.
 */
export function recordingHeadline(recording: RecordingState): string | null {
  const { info } = recording;
  if (info === null) return null;
  if (recordingRuns(recording)) {
    const what = info.video ? 'Recording with video' : 'Recording';
    return `${what} — started by ${STARTED_BY[info.started_by]}`;
  }
  if (info.state === 'recording') return 'Recording ended with the session';
  const by = info.stopped_by === null ? '' : ` by ${STOPPED_BY[info.stopped_by]}`;
  switch (info.state) {
    case 'saved':
      return `Recording stopped${by} — saved`;
    case 'cancelled':
      return `Recording cancelled${by} — discarded`;
    case 'incomplete':
      return `Recording ended${by} — incomplete, kept up to its last second`;
  }
}

/** Elapsed time as m:ss, or h:mm:ss from an hour. */
export function formatElapsed(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/**
 * The session's recording, shown by the app shell above every page: a red dot, who started it,
 * its name and running time, and a button to stop it; briefly, how it ended. The headline is a
 * live region, so starting and stopping are announced (the running time is not).
 */
export function RecordingIndicator() {
  const store = useAppStore();
  const controller = useController();
  const recording = useAppState((state) => state.recording);
  const banner = useRef<HTMLDivElement>(null);
  const runs = recordingRuns(recording);
  const { info, noticeExpired, stopRequested, problem } = recording;
  const phase = info === null ? 'none' : runs ? 'recording' : noticeExpired ? 'none' : 'ended';
  const endedId = phase === 'ended' ? (info?.recording_id ?? null) : null;
  /** The stop button had the focus when it went away: the notice takes it. */
  const focusNotice = useRef(false);

  useEffect(() => {
    if (endedId === null) return undefined;
    const element = banner.current;
    if (focusNotice.current) {
      focusNotice.current = false;
      element?.focus();
    }
    // Hide the notice after a while, but not from under the keyboard focus.
    let expireOnBlur = false;
    const expire = (): void => store.update((state) => recordingNoticeExpired(state, endedId));
    const onFocusOut = (): void => {
      if (expireOnBlur) expire();
    };
    const timer = setTimeout(() => {
      if (element?.contains(document.activeElement) === true) expireOnBlur = true;
      else expire();
    }, ENDED_NOTICE_MS);
    element?.addEventListener('focusout', onFocusOut);
    return () => {
      clearTimeout(timer);
      element?.removeEventListener('focusout', onFocusOut);
    };
  }, [endedId, store]);

  const stop = (event: MouseEvent<HTMLButtonElement>): void => {
    if (stopRequested) return;
    const sent = controller.send(STOP);
    focusNotice.current = sent && event.currentTarget === document.activeElement;
    store.update((state) => recordingStopRequested(state, sent));
  };
  // The calibration procedure takes Space and Enter from the whole window: not from this button.
  const keepKeys = (event: KeyboardEvent): void => {
    if (event.key === 'Enter' || event.key === ' ') event.stopPropagation();
  };

  const name = phase === 'none' ? null : (info?.name ?? null);
  const withVideo = phase === 'recording' && info?.video === true;
  return (
    <div
      className="recording-slot"
      data-testid="recording-indicator"
      data-state={phase}
      data-video={withVideo}
    >
      <div
        ref={banner}
        className={phase === 'none' ? undefined : `recording recording-${phase}`}
        tabIndex={phase === 'ended' ? -1 : undefined}
      >
        {/* Always in the page, so that what appears in it is announced. */}
        <p className="recording-headline" role="status" data-testid="recording-headline">
          {phase !== 'none' && (
            <>
              <span className="recording-dot" aria-hidden="true" />
              {withVideo && <CameraIcon />}
              {recordingHeadline(recording)}
              {name !== null && <span className="recording-name"> · “{name}”</span>}
            </>
          )}
        </p>
        {phase === 'recording' && info !== null && (
          <>
            <Elapsed key={info.recording_id} startedUnixNs={info.started_unix_ns} />
            <button
              type="button"
              className="button button-quiet recording-stop"
              aria-disabled={stopRequested}
              onClick={stop}
              onKeyDown={keepKeys}
            >
              {stopRequested ? 'Stopping…' : 'Stop recording'}
            </button>
          </>
        )}
        {phase !== 'none' && problem !== null && (
          <p className="recording-problem" role="alert">
            {problem}
          </p>
        )}
      </div>
    </div>
  );
}

/** A video camera, beside the headline while the camera's video is stored. */
function CameraIcon() {
  return (
    <svg
      className="recording-camera"
      data-testid="recording-camera"
      aria-hidden="true"
      viewBox="0 0 24 16"
      width="24"
      height="16"
      fill="currentColor"
    >
      <rect x="0" y="2" width="16" height="12" rx="2" />
      <path d="M17 6.5 24 2v12l-7-4.5z" />
    </svg>
  );
}

/** The running time, on the server's clock (corrected with the ping/pong offset). */
function Elapsed({ startedUnixNs }: { startedUnixNs: number }) {
  const controller = useController();
  const offsetMs = useRef(0);
  const [serverNowMs, setServerNowMs] = useState<number | null>(null);

  useEffect(
    () =>
      controller.addSessionListener({
        onClock: (estimate) => {
          offsetMs.current = estimate.serverClockOffsetMs;
        },
      }),
    [controller],
  );
  useEffect(() => {
    const tick = (): void => setServerNowMs(Date.now() + offsetMs.current);
    const timer = setInterval(tick, 250);
    return () => clearInterval(timer);
  }, []);

  const seconds =
    serverNowMs === null ? 0 : Math.max(0, Math.floor((serverNowMs - startedUnixNs / 1e6) / 1000));
  return (
    <span className="recording-elapsed" data-testid="recording-elapsed">
      <span className="visually-hidden">Running for </span>
      <time dateTime={`PT${seconds}S`}>{formatElapsed(seconds)}</time>
    </span>
  );
}
