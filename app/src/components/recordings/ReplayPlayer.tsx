import { useEffect, useState } from 'react';
import type { RecordingsApi } from '../../recordings/api';
import { REPLAY_SPEEDS, ReplayClock, type ReplaySpeed } from '../../recordings/clock';
import { clockTime } from '../../recordings/format';
import type { Plane } from '../../recordings/plane';
import type { RecordingReplay } from '../../recordings/types';
import { GazeStage } from './GazeStage';
import { ReplayVideo } from './ReplayVideo';
import { Timeline } from './Timeline';

/** Step of the time slider (s): the replay's columns have millisecond times. */
const SLIDER_STEP_S = 0.01;

/** The replay: the gaze moving over the plane, play/pause, speed, the time slider, the timeline. */
export function ReplayPlayer(props: {
  api: RecordingsApi;
  recordingId: string;
  replay: RecordingReplay;
  plane: Plane;
  durationS: number;
}) {
  const [clock] = useState(() => new ReplayClock(props.durationS));
  const [timeS, setTimeS] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<ReplaySpeed>(1);

  // While playing, each animation frame reads the clock; the clock stops itself at the end.
  // performance.now(), not the frame's timestamp: the buttons use it too, and a frame's
  // timestamp may lie before a click handled in that frame (or, in jsdom, on another timeline).
  useEffect(() => {
    if (!playing) return;
    let frame = 0;
    const onFrame = (): void => {
      setTimeS(clock.tick(performance.now()));
      if (clock.playing) frame = requestAnimationFrame(onFrame);
      else setPlaying(false);
    };
    frame = requestAnimationFrame(onFrame);
    return () => cancelAnimationFrame(frame);
  }, [clock, playing]);

  const togglePlay = (): void => {
    if (clock.playing) clock.pause(performance.now());
    else clock.play(performance.now());
    setTimeS(clock.timeAt(performance.now()));
    setPlaying(clock.playing);
  };
  const seek = (toS: number): void => {
    clock.seek(toS, performance.now());
    setTimeS(clock.timeAt(performance.now()));
  };
  const changeSpeed = (value: string): void => {
    const chosen = REPLAY_SPEEDS.find((option) => String(option) === value);
    if (chosen === undefined) return;
    clock.setSpeed(chosen, performance.now());
    setSpeed(chosen);
  };

  return (
    <section className="card replay" aria-label="Replay">
      <h2>Replay</h2>
      <div className="replay-media">
        <GazeStage replay={props.replay} plane={props.plane} timeS={timeS} />
        {props.replay.video && (
          <ReplayVideo
            api={props.api}
            recordingId={props.recordingId}
            timeS={timeS}
            playing={playing}
            speed={speed}
          />
        )}
      </div>
      <div className="replay-controls">
        <button
          type="button"
          className="button button-primary"
          data-testid="replay-play"
          onClick={togglePlay}
        >
          {playing ? 'Pause' : 'Play'}
        </button>
        <label className="field-inline replay-speed">
          Speed
          <select value={String(speed)} onChange={(event) => changeSpeed(event.target.value)}>
            {REPLAY_SPEEDS.map((option) => (
              <option key={option} value={String(option)}>
                {option}×
              </option>
            ))}
          </select>
        </label>
        <output className="replay-time" data-testid="replay-time" aria-live="off">
          {clockTime(timeS)} / {clockTime(props.durationS)}
        </output>
      </div>
      <input
        className="replay-slider"
        type="range"
        aria-label="Replay time (s)"
        data-testid="replay-slider"
        min={0}
        max={props.durationS}
        step={SLIDER_STEP_S}
        value={timeS}
        onChange={(event) => seek(Number(event.target.value))}
      />
      <div className="timeline-scroll">
        <Timeline replay={props.replay} durationS={props.durationS} timeS={timeS} onSeek={seek} />
      </div>
    </section>
  );
}
