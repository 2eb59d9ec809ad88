import type { Plane } from '../../recordings/plane';
import { stageGaze } from '../../recordings/stage';
import type { RecordingReplay } from '../../recordings/types';
import { PLANE_WIDTH, PlaneFigure, planeCaption, planeHeight } from './PlaneFigure';

/** The gaze at `timeS` over the plane, with a short trail behind it. */
export function GazeStage(props: { replay: RecordingReplay; plane: Plane; timeS: number }) {
  const { plane } = props;
  const gaze = stageGaze(props.replay, plane, props.timeS);
  const height = planeHeight(plane);
  const place = (point: { u: number; v: number }): string =>
    `${(point.u * PLANE_WIDTH).toFixed(1)},${(point.v * height).toFixed(1)}`;
  return (
    <figure className="replay-stage">
      <PlaneFigure
        plane={plane}
        label="The gaze at the replay's time"
        testId="replay-stage"
        attributes={{ 'data-gaze': gaze.head === null ? 'none' : 'shown' }}
      >
        {gaze.trail.length > 1 && (
          <polyline className="stage-trail" points={gaze.trail.map(place).join(' ')} />
        )}
        {gaze.head !== null && (
          <circle
            className="stage-gaze"
            data-testid="replay-gaze"
            cx={gaze.head.u * PLANE_WIDTH}
            cy={gaze.head.v * height}
            r={9}
          />
        )}
      </PlaneFigure>
      <figcaption>
        {planeCaption(plane)} {gaze.head === null ? 'No gaze at this moment.' : ''}
      </figcaption>
    </figure>
  );
}
