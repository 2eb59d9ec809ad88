import { useId, useState } from 'react';

export interface RecordingControlProps {
  /** A recording of the session runs: the button stops it. */
  recording: boolean;
  disabled: boolean;
  /** The id of a note that says why starting is refused, if it is. */
  describedBy?: string | undefined;
  /** Start (with the camera's video when `video`) or stop the session's recording. */
  onRequest: (action: 'start' | 'stop', video: boolean) => void;
}

/**
 * The host's start/stop button for one session's recording, with a "with video" box before a
 * start. The box is off by default and turns off again after each start: storing a
 * participant's camera video is a choice made for each recording (the participant's page says
 * so while it records).
 */
export function RecordingControl({
  recording,
  disabled,
  describedBy,
  onRequest,
}: RecordingControlProps) {
  const videoId = useId();
  const [video, setVideo] = useState(false);

  const onClick = (): void => {
    if (recording) {
      onRequest('stop', false);
      return;
    }
    onRequest('start', video);
    setVideo(false);
  };

  return (
    <div className="monitor-recording-control">
      <button
        type="button"
        className={recording ? 'button' : 'button button-primary'}
        disabled={disabled}
        aria-describedby={describedBy}
        onClick={onClick}
      >
        {recording ? 'Stop recording' : 'Start recording'}
      </button>
      {!recording && (
        <span className="monitor-recording-video">
          <input
            id={videoId}
            type="checkbox"
            checked={video}
            disabled={disabled}
            onChange={(event) => setVideo(event.target.checked)}
          />
          <label htmlFor={videoId}>with video (stores the participant’s camera)</label>
        </span>
      )}
    </div>
  );
}
