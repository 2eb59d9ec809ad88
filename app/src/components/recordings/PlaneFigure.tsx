import type { ReactNode } from 'react';
import type { Plane } from '../../recordings/plane';
import { axisTicks } from '../../recordings/stage';

/** Width of the plane in the SVG's units; its height follows the plane's aspect. */
export const PLANE_WIDTH = 480;
/** Room around the plane for the axes (SVG units). */
const MARGIN = { left: 66, right: 16, top: 14, bottom: 54 };
const TICKS = 4;

export function planeHeight(plane: Plane): number {
  return PLANE_WIDTH * plane.aspect;
}

/** Where the plane sits in the figure, as CSS percentages (to lay a canvas over it). */
export function planeBox(plane: Plane): {
  left: string;
  top: string;
  width: string;
  height: string;
} {
  const totalWidth = PLANE_WIDTH + MARGIN.left + MARGIN.right;
  const totalHeight = planeHeight(plane) + MARGIN.top + MARGIN.bottom;
  const pct = (value: number, total: number): string => `${(value / total) * 100}%`;
  return {
    left: pct(MARGIN.left, totalWidth),
    top: pct(MARGIN.top, totalHeight),
    width: pct(PLANE_WIDTH, totalWidth),
    height: pct(planeHeight(plane), totalHeight),
  };
}

/** What the plane is, in words. */
export function planeCaption(plane: Plane): string {
  return plane.kind === 'screen'
    ? `Screen gaze on the participant’s ${plane.right}×${plane.bottom} px screen.`
    : 'Gaze angles in degrees: no screen gaze was recorded (no calibration was in use).';
}

/**
 * An SVG of `plane` with labelled axes; children draw in plane units scaled to
 * PLANE_WIDTH × planeHeight (0, 0 at the top left).
 */
export function PlaneFigure(props: {
  plane: Plane;
  label: string;
  testId: string;
  children: ReactNode;
  attributes?: Record<string, string | number>;
}) {
  const { plane } = props;
  const height = planeHeight(plane);
  const xTicks = axisTicks(plane.left, plane.right, TICKS);
  const yTicks = axisTicks(plane.top, plane.bottom, TICKS);
  return (
    <svg
      className="plane-figure"
      data-testid={props.testId}
      data-plane={plane.kind}
      viewBox={`${-MARGIN.left} ${-MARGIN.top} ${PLANE_WIDTH + MARGIN.left + MARGIN.right} ${height + MARGIN.top + MARGIN.bottom}`}
      role="img"
      aria-label={props.label}
      {...props.attributes}
    >
      <rect className="plane-frame" x={0} y={0} width={PLANE_WIDTH} height={height} />
      {xTicks.map((tick) => (
        <g key={`x${tick.fraction}`} className="plane-tick">
          <line
            x1={tick.fraction * PLANE_WIDTH}
            x2={tick.fraction * PLANE_WIDTH}
            y1={height}
            y2={height + 5}
          />
          <text x={tick.fraction * PLANE_WIDTH} y={height + 20} textAnchor="middle">
            {tick.label}
          </text>
        </g>
      ))}
      {yTicks.map((tick) => (
        <g key={`y${tick.fraction}`} className="plane-tick">
          <line x1={-5} x2={0} y1={tick.fraction * height} y2={tick.fraction * height} />
          <text x={-8} y={tick.fraction * height + 5} textAnchor="end">
            {tick.label}
          </text>
        </g>
      ))}
      <text className="plane-axis-label" x={PLANE_WIDTH / 2} y={height + 44} textAnchor="middle">
        {plane.xLabel}
      </text>
      <text
        className="plane-axis-label"
        transform={`translate(${-52} ${height / 2}) rotate(-90)`}
        textAnchor="middle"
      >
        {plane.yLabel}
      </text>
      {props.children}
    </svg>
  );
}
