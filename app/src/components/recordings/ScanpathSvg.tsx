import { useMemo } from 'react';
import type { Plane } from '../../recordings/plane';
import { scanpathCircles } from '../../recordings/scanpath';
import { spansStartingIn, type TimeRange } from '../../recordings/timeRange';
import type { RecordingReplay } from '../../recordings/types';
import { PLANE_WIDTH, PlaneFigure, planeCaption } from './PlaneFigure';

/** The most circles drawn: beyond a few hundred a scanpath is a blur (a shorter range reads). */
const MAX_FIXATIONS = 300;

/** The fixations starting in `range`, in order: numbered circles sized by duration, joined. */
export function ScanpathSvg(props: { replay: RecordingReplay; plane: Plane; range: TimeRange }) {
  const { replay, plane, range } = props;
  const inRange = useMemo(() => spansStartingIn(replay.fixations, range), [replay, range]);
  const circles = useMemo(
    () => scanpathCircles(inRange.slice(0, MAX_FIXATIONS), plane, PLANE_WIDTH),
    [inRange, plane],
  );
  return (
    <figure className="card recording-figure">
      <h3>Scanpath</h3>
      <PlaneFigure
        plane={plane}
        label={`Scanpath of ${circles.length} fixations`}
        testId="scanpath"
        attributes={{ 'data-fixations': circles.length }}
      >
        {circles.length > 1 && (
          <polyline
            className="scanpath-line"
            points={circles.map((circle) => `${circle.cx},${circle.cy}`).join(' ')}
          />
        )}
        {circles.map((circle) => (
          <g key={circle.number} className="scanpath-fixation" data-testid="scanpath-fixation">
            <circle cx={circle.cx} cy={circle.cy} r={circle.r}>
              <title>
                {`Fixation ${circle.number}: ${circle.startS.toFixed(2)} s, ${Math.round(circle.durationS * 1000)} ms`}
              </title>
            </circle>
            <text x={circle.cx} y={circle.cy + 4} textAnchor="middle">
              {circle.number}
            </text>
          </g>
        ))}
      </PlaneFigure>
      <figcaption>
        {circles.length === 0
          ? 'No fixations start in this range.'
          : `${circles.length} fixations; a circle’s area grows with its duration.`}{' '}
        {inRange.length > circles.length &&
          `Only the first ${circles.length} of ${inRange.length} are drawn: choose a shorter range.`}{' '}
        {planeCaption(plane)}
      </figcaption>
    </figure>
  );
}
