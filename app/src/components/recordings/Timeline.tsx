import { memo, type KeyboardEvent, type MouseEvent } from 'react';
import { eventMarks, timelineBands, timelineX } from '../../recordings/timeline';
import type { RecordingReplay, TimeSpan } from '../../recordings/types';

const WIDTH = 1000;
/** Room on the left for the rows' names. */
const LABEL_WIDTH = 90;
const ROW_HEIGHT = 18;
const EVENT_ROW_HEIGHT = 34;
const ROWS = [
  { key: 'blinks', label: 'blinks' },
  { key: 'fixations', label: 'fixations' },
  { key: 'saccades', label: 'saccades' },
] as const;

const HEIGHT = EVENT_ROW_HEIGHT + ROWS.length * ROW_HEIGHT + 4;
const SPAN = WIDTH - LABEL_WIDTH;

/** Everything but the playhead: drawn again only for another recording, not every frame. */
const Tracks = memo(function Tracks(props: { replay: RecordingReplay; durationS: number }) {
  const { replay, durationS } = props;
  const bands = (spans: readonly TimeSpan[], row: number, name: string) =>
    timelineBands(spans, durationS, LABEL_WIDTH, SPAN).map((band, index) => (
      <rect
        key={`${name}${index}`}
        className={`timeline-band timeline-${name}`}
        x={band.x}
        y={EVENT_ROW_HEIGHT + row * ROW_HEIGHT + 3}
        width={band.width}
        height={ROW_HEIGHT - 6}
      />
    ));
  return (
    <>
      <text className="timeline-row-label" x={0} y={EVENT_ROW_HEIGHT - 6}>
        events
      </text>
      {eventMarks(replay.events, durationS, LABEL_WIDTH, SPAN).map((mark, index) => (
        <g key={`e${index}`} className="timeline-event" data-testid="timeline-event">
          <title>{mark.name}</title>
          <line x1={mark.x} x2={mark.x} y1={14} y2={HEIGHT} />
          {mark.label !== null && (
            <text x={mark.x + 3} y={11}>
              {mark.label}
            </text>
          )}
        </g>
      ))}
      {ROWS.map((row, index) => (
        <text
          key={row.key}
          className="timeline-row-label"
          x={0}
          y={EVENT_ROW_HEIGHT + index * ROW_HEIGHT + 13}
        >
          {row.label}
        </text>
      ))}
      {bands(replay.blinks, 0, 'blinks')}
      {bands(replay.fixations, 1, 'fixations')}
      {bands(replay.saccades, 2, 'saccades')}
    </>
  );
});

/** The recording along time: events as named ticks, blinks, fixations and saccades as bands. */
export function Timeline(props: {
  replay: RecordingReplay;
  durationS: number;
  timeS: number;
  onSeek: (timeS: number) => void;
}) {
  const { durationS } = props;
  const seekTo = (event: MouseEvent<SVGSVGElement>): void => {
    const box = event.currentTarget.getBoundingClientRect();
    if (box.width <= 0) return;
    const unitX = ((event.clientX - box.left) / box.width) * WIDTH;
    props.onSeek(((unitX - LABEL_WIDTH) / SPAN) * durationS);
  };
  const onKey = (event: KeyboardEvent<SVGSVGElement>): void => {
    const stepS = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (stepS !== 0) props.onSeek(props.timeS + stepS);
  };
  const playheadX = timelineX(props.timeS, durationS, LABEL_WIDTH, SPAN);
  return (
    <svg
      className="timeline"
      data-testid="replay-timeline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="slider"
      tabIndex={0}
      aria-label="Timeline (click or arrow keys to move the replay)"
      aria-valuemin={0}
      aria-valuemax={durationS}
      aria-valuenow={props.timeS}
      onClick={seekTo}
      onKeyDown={onKey}
    >
      <Tracks replay={props.replay} durationS={durationS} />
      <line className="timeline-playhead" x1={playheadX} x2={playheadX} y1={0} y2={HEIGHT} />
    </svg>
  );
}
