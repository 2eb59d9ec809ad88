import { useMemo } from 'react';
import type { MonitorTracePoint } from 'gazertc-client/protocol';
import { traceGeometry, type ScreenSize } from '../../monitor/traceGeometry';

const BOX = { width: 160, height: 100 } as const;

export interface GazeTraceProps {
  points: readonly MonitorTracePoint[];
  /** The session's screen when it is calibrated (draws screen points), else null. */
  screen: ScreenSize | null;
  nowUnixNs: number | null;
}

/** A small drawing of the last gaze points, as the participant sees their screen. */
export function GazeTrace({ points, screen, nowUnixNs }: GazeTraceProps) {
  const geometry = useMemo(
    () => traceGeometry(points, BOX, screen, nowUnixNs),
    [points, screen, nowUnixNs],
  );
  const label =
    geometry.pointCount === 0
      ? 'Gaze trace: no recent gaze'
      : `Gaze trace: the last ${geometry.pointCount} gaze points${
          geometry.mode === 'screen' ? ' on the participant’s screen' : ' (gaze direction)'
        }`;
  return (
    <svg
      className="monitor-trace"
      viewBox={`0 0 ${BOX.width} ${BOX.height}`}
      role="img"
      aria-label={label}
      data-testid="gaze-trace"
      data-points={geometry.pointCount}
      data-mode={geometry.mode}
    >
      <rect
        className="monitor-trace-frame"
        x="0.5"
        y="0.5"
        width={BOX.width - 1}
        height={BOX.height - 1}
      />
      {geometry.mode === 'angle' && (
        <path
          className="monitor-trace-axes"
          d={`M${BOX.width / 2} 0V${BOX.height}M0 ${BOX.height / 2}H${BOX.width}`}
        />
      )}
      {geometry.path !== '' && <path className="monitor-trace-path" d={geometry.path} />}
      {geometry.head !== null && (
        <circle className="monitor-trace-head" cx={geometry.head.x} cy={geometry.head.y} r="3" />
      )}
    </svg>
  );
}
