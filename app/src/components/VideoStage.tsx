import { useEffect, useRef, useState } from 'react';
import { useAppState, useController } from '../store/react';
import { OverlayCanvas } from './OverlayCanvas';
import { useStreamSource } from './StreamVideo';
import { useSecondsUntil } from './useSecondsUntil';
import { useVideoAspectRatio } from './useVideoAspectRatio';
import { ViewControls } from './ViewControls';

export function VideoStage() {
  const titleRef = useRef<HTMLHeadingElement | null>(null);
  const mode = useAppState((state) => state.view.mode);
  const mirrored = useAppState((state) => state.view.mirrored);
  const aspectRatio = useVideoAspectRatio();
  // A new connection brings a new stream: start its view afresh ("waiting" until frames come).
  const remoteStreamId = useAppState((state) => state.live.remoteStream?.id ?? 'none');

  // The start screen, and the button that led here, are gone: move the focus to this view.
  useEffect(() => {
    titleRef.current?.focus();
  }, []);

  return (
    <section className="card stage-card" aria-labelledby="stage-title">
      <div className="stage-toolbar">
        <h2 id="stage-title" className="stage-title" ref={titleRef} tabIndex={-1}>
          {mode === 'overlay' ? 'Your camera' : 'Server video'}
        </h2>
        <ViewControls />
      </div>
      <div className="stage" style={{ aspectRatio }}>
        <div className={`stage-media${mirrored ? ' mirrored' : ''}`}>
          {mode === 'overlay' ? <LocalVideoWithOverlay /> : <ServerVideo key={remoteStreamId} />}
        </div>
        <StageNotice />
      </div>
      <p className="stage-caption">
        {mode === 'overlay'
          ? 'Drawn in your browser from the server’s results: face box, landmarks, irises (yellow), head axes (red, green, blue) and gaze (pink).'
          : 'The video as the server annotated it, sent back over the same connection.'}
      </p>
    </section>
  );
}

function LocalVideoWithOverlay() {
  const stream = useAppState((state) => state.camera.stream);
  const videoRef = useRef<HTMLVideoElement | null>(null);
  useStreamSource(videoRef, stream);
  return (
    <>
      <video
        ref={videoRef}
        className="stage-video"
        aria-label="Your camera, with what the server found drawn over it"
        data-testid="local-video"
        autoPlay
        muted
        playsInline
      />
      <OverlayCanvas videoRef={videoRef} />
    </>
  );
}

function ServerVideo() {
  const stream = useAppState((state) => state.live.remoteStream);
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const [showing, setShowing] = useState(false);
  useStreamSource(videoRef, stream);

  useEffect(() => {
    const video = videoRef.current;
    if (video === null) return undefined;
    const onFrames = (): void => setShowing(video.videoWidth > 0);
    video.addEventListener('loadeddata', onFrames);
    video.addEventListener('resize', onFrames);
    return () => {
      video.removeEventListener('loadeddata', onFrames);
      video.removeEventListener('resize', onFrames);
    };
  }, []);

  return (
    <>
      <video
        ref={videoRef}
        className="stage-video"
        aria-label="The server's annotated video"
        data-testid="server-video"
        autoPlay
        muted
        playsInline
      />
      {!showing && <p className="stage-waiting">Waiting for the server’s video…</p>}
    </>
  );
}

/** Connection problems and the "no face" hint, over the video (never mirrored). */
function StageNotice() {
  const controller = useController();
  const phase = useAppState((state) => state.connection.phase);
  const problem = useAppState((state) => state.connection.problem);
  const endedByHost = useAppState((state) => state.connection.endedByHost);
  const attempt = useAppState((state) => state.connection.attempt);
  const retryAtMs = useAppState((state) => state.connection.retryAtMs);
  const faceFound = useAppState((state) => state.live.sample?.face_found ?? null);
  const seconds = useSecondsUntil(phase === 'lost' ? retryAtMs : null);

  if (phase === 'connecting') {
    return (
      <div className="stage-notice">
        <span className="spinner" aria-hidden="true" />
        {attempt > 0 ? 'Reconnecting to the server…' : 'Connecting to the server…'}
      </div>
    );
  }
  if (phase === 'lost') {
    return (
      <div className="stage-notice stage-notice-warning">
        <p>
          <strong>Connection lost.</strong> {problem}
        </p>
        <p>{seconds !== null && seconds > 0 ? `Trying again in ${seconds} s.` : 'Trying again…'}</p>
      </div>
    );
  }
  if (phase === 'failed') {
    return (
      <div className="stage-notice stage-notice-error" role="alert">
        <p>
          {endedByHost ? (
            <strong data-testid="ended-by-host">The host ended this session.</strong>
          ) : (
            <>
              <strong>The server refused the connection.</strong> {problem}
            </>
          )}
        </p>
        <button
          type="button"
          className="button button-primary"
          onClick={() => controller.disconnect()}
        >
          Back to the start
        </button>
      </div>
    );
  }
  if (phase === 'live' && faceFound === false) {
    return (
      <div className="stage-pill">No face found: face the camera, with your whole face in view</div>
    );
  }
  return null;
}
