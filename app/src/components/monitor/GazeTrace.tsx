import { useId, useMemo } from 'react';
import type { MonitorTracePoint } from 'gazertc-client/protocol';
import { traceAxes, traceGeometry, type ScreenSize } from '../../monitor/traceGeometry';

/** The plot area, in SVG units; the margins around it hold the axis labels. */
const BOX = { width: 240, height: 150 } as const;
const MARGIN = { left: 44, top: 8, right: 10, bottom: 18 } as const;
const TICK_LENGTH = 3;
const VIEW_WIDTH = MARGIN.left + BOX.width + MARGIN.right;
const VIEW_HEIGHT = MARGIN.top + BOX.height + MARGIN.bottom;

export interface GazeTraceProps {
  points: readonly MonitorTracePoint[];
  /** The session's screen when it is calibrated (draws screen points), else null. */
  screen: ScreenSize | null;
  /** The session uses a calibration. */
  calibrated: boolean;
  nowUnixNs: number | null;
}

function anchorFor(index: number, count: number): 'start' | 'middle' | 'end' {
  if (count === 1) return 'middle';
  if (index === 0) return 'start';
  return index === count - 1 ? 'end' : 'middle';
}

/** The last gaze points with labelled axes: degrees of gaze direction, or screen px. */
export function GazeTrace({ points, screen, calibrated, nowUnixNs }: GazeTraceProps) {
  const captionId = useId();
  const geometry = useMemo(
    () => traceGeometry(points, BOX, screen, nowUnixNs),
    [points, screen, nowUnixNs],
  );
  const axes = useMemo(
    () => traceAxes(geometry.mode, BOX, screen, calibrated),
    [geometry.mode, screen, calibrated],
  );
  const label =
    geometry.pointCount === 0
      ? 'Gaze trace: no recent gaze'
      : `Gaze trace: the last ${geometry.pointCount} gaze points${
          geometry.mode === 'screen' ? ' on the participant’s screen' : ' (gaze direction)'
        }`;
  return (
    <figure className="monitor-trace-figure">
      <svg
        className="monitor-trace"
        viewBox={`0 0 ${VIEW_WIDTH} ${VIEW_HEIGHT}`}
        role="img"
        aria-label={label}
        aria-describedby={captionId}
        data-testid="gaze-trace"
        data-points={geometry.pointCount}
        data-mode={geometry.mode}
        data-unit={axes.unit}
      >
        <g transform={`translate(${MARGIN.left} ${MARGIN.top})`}>
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
          <g className="monitor-trace-ticks" data-testid="gaze-trace-x-axis">
            {axes.x.map((tick, index) => (
              <g key={tick.label}>
                <path d={`M${tick.position} ${BOX.height}v${TICK_LENGTH}`} />
                <text
                  x={tick.position}
                  y={BOX.height + TICK_LENGTH + 8}
                  textAnchor={anchorFor(index, axes.x.length)}
                >
                  {tick.label}
                </text>
              </g>
            ))}
          </g>
          <g className="monitor-trace-ticks" data-testid="gaze-trace-y-axis">
            {axes.y.map((tick) => (
              <g key={tick.label}>
                <path d={`M0 ${tick.position}h${-TICK_LENGTH}`} />
                <text
                  x={-TICK_LENGTH - 2}
                  y={tick.position}
                  textAnchor="end"
                  dominantBaseline="middle"
                >
                  {tick.label}
                </text>
              </g>
            ))}
          </g>
          {geometry.path !== '' && <path className="monitor-trace-path" d={geometry.path} />}
          {geometry.head !== null && (
            <circle
              className="monitor-trace-head"
              cx={geometry.head.x}
              cy={geometry.head.y}
              r="3"
            />
          )}
        </g>
      </svg>
      <figcaption id={captionId} className="monitor-trace-caption" data-testid="gaze-trace-units">
        {axes.caption}
      </figcaption>
    </figure>
  );
}
