import { useEffect, useRef, useState } from 'react';
import type { RecordingsApi } from '../../recordings/api';

/** The video may drift this far (s) from the replay's clock before it is moved back. */
const VIDEO_DRIFT_S = 0.3;

/** The participant's camera video kept with the recording, following the replay's clock. */
export function ReplayVideo(props: {
  api: RecordingsApi;
  recordingId: string;
  timeS: number;
  playing: boolean;
  speed: number;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [source, setSource] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { api, recordingId } = props;

  // Fetched with the token (a <video src> could not send it), played from an object URL.
  useEffect(() => {
    const controller = new AbortController();
    let url: string | null = null;
    api.video(recordingId, controller.signal).then(
      (blob) => {
        if (controller.signal.aborted) return;
        url = URL.createObjectURL(blob);
        setSource(url);
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          setProblem(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      controller.abort();
      if (url !== null) URL.revokeObjectURL(url);
    };
  }, [api, recordingId]);

  useEffect(() => {
    const element = video.current;
    if (element === null || source === null) return;
    element.playbackRate = props.speed;
    if (Math.abs(element.currentTime - props.timeS) > VIDEO_DRIFT_S)
      element.currentTime = props.timeS;
    if (props.playing && element.paused) void element.play().catch(() => undefined);
    if (!props.playing && !element.paused) element.pause();
  }, [source, props.timeS, props.playing, props.speed]);

  if (problem !== null) {
    return (
      <p className="notice notice-error" role="alert">
        The video could not be loaded: {problem}
      </p>
    );
  }
  return (
    <figure className="replay-video">
      {source === null ? (
        <p>Loading the video…</p>
      ) : (
        <video ref={video} data-testid="replay-video" src={source} muted playsInline />
      )}
      <figcaption>The participant’s camera, recorded with the gaze.</figcaption>
    </figure>
  );
}
