import { useId } from 'react';
import { chartLayout, type ChartTargetInput, type ScreenPx } from '../../calibration/chart';

/** Distinct, colour-blind-safe hues (Okabe-Ito) for the targets' samples. */
const PALETTE = ['#56b4e9', '#e69f00', '#009e73', '#f0e442', '#cc79a7', '#d55e00', '#0072b2'];
const CHART_WIDTH = 640;

export interface ResultChartProps {
  screenWidthPx: number;
  screenHeightPx: number;
  targets: readonly (ChartTargetInput & { label: string })[];
  samples?: ReadonlyMap<number, readonly ScreenPx[]>;
  /** The chart's summary for screen readers (the numbers are in the table next to it). */
  description: string;
  testId: string;
}

/** The screen, each target with its circle (accuracy or offset), and the gaze samples around it. */
export function ResultChart(props: ResultChartProps) {
  const layout = chartLayout({
    screenWidthPx: props.screenWidthPx,
    screenHeightPx: props.screenHeightPx,
    chartWidth: CHART_WIDTH,
    targets: props.targets,
    ...(props.samples === undefined ? {} : { samples: props.samples }),
  });
  // React's ids hold characters a url(#...) reference would need escaped.
  const clipId = `chart-clip-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const colour = (index: number): string => PALETTE[index % PALETTE.length] ?? '#ffffff';
  const indexOf = new Map(layout.targets.map((target, index) => [target.id, index]));
  const labels = new Map(props.targets.map((target) => [target.id, target.label]));
  return (
    <svg
      className="result-chart"
      data-testid={props.testId}
      viewBox={`-12 -12 ${layout.width + 24} ${layout.height + 24}`}
      role="img"
      aria-label={props.description}
      // The gaze cursor keeps off the chart (calibration/cursor.ts).
      data-gaze-cursor-avoid=""
    >
      <defs>
        <clipPath id={clipId}>
          <rect x={0} y={0} width={layout.width} height={layout.height} />
        </clipPath>
      </defs>
      <rect className="chart-screen" x={0} y={0} width={layout.width} height={layout.height} />
      {layout.samples.map((sample, index) => (
        <circle
          key={`s${index}`}
          data-testid="chart-sample"
          className={sample.clipped ? 'chart-sample chart-sample-clipped' : 'chart-sample'}
          cx={sample.cx}
          cy={sample.cy}
          r={2.5}
          fill={sample.clipped ? 'none' : colour(indexOf.get(sample.targetId) ?? 0)}
          stroke={colour(indexOf.get(sample.targetId) ?? 0)}
        />
      ))}
      {layout.targets.map((target, index) => (
        <g key={target.id} data-testid="chart-target" data-target-id={target.id}>
          {target.r !== null && (
            <circle
              clipPath={`url(#${clipId})`}
              className="chart-radius"
              cx={target.cx}
              cy={target.cy}
              r={Math.max(2, target.r)}
              stroke={colour(index)}
            />
          )}
          {target.mean !== null && (
            <>
              <line
                className="chart-offset"
                x1={target.cx}
                y1={target.cy}
                x2={target.mean.cx}
                y2={target.mean.cy}
              />
              <path
                className="chart-mean"
                d={`M${target.mean.cx - 5},${target.mean.cy - 5}L${target.mean.cx + 5},${target.mean.cy + 5}M${target.mean.cx - 5},${target.mean.cy + 5}L${target.mean.cx + 5},${target.mean.cy - 5}`}
              />
            </>
          )}
          <path
            className="chart-target"
            d={`M${target.cx - 8},${target.cy}H${target.cx + 8}M${target.cx},${target.cy - 8}V${target.cy + 8}`}
          />
          <text
            className="chart-label"
            x={target.cx + (target.cx > layout.width - 90 ? -12 : 12)}
            y={target.cy + (target.cy < 24 ? 22 : -12)}
            textAnchor={target.cx > layout.width - 90 ? 'end' : 'start'}
          >
            {labels.get(target.id) ?? ''}
          </text>
        </g>
      ))}
    </svg>
  );
}
