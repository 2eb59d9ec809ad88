// Geometry of the result chart: the screen scaled into the chart, each target, a circle of its
// accuracy (or fit offset), the gaze samples recorded around it and their mean. Pure; the SVG is
// drawn by components/calibration/ResultChart.tsx.

export interface ScreenPx {
  xPx: number;
  yPx: number;
}

export interface ChartTargetInput extends ScreenPx {
  id: number;
  /** Radius to draw around the target in screen px (accuracy or offset); null: unknown. */
  radiusPx: number | null;
}

export interface ChartInput {
  screenWidthPx: number;
  screenHeightPx: number;
  /** Width of the chart in its own units (the SVG viewBox); the height keeps the screen's aspect. */
  chartWidth: number;
  targets: readonly ChartTargetInput[];
  /** Gaze points recorded while each target was shown, by target id. */
  samples?: ReadonlyMap<number, readonly ScreenPx[]>;
}

export interface ChartTarget {
  id: number;
  cx: number;
  cy: number;
  /** Scaled radius, or null. */
  r: number | null;
  /** Mean of this target's samples, in chart units (clamped to the chart), or null. */
  mean: { cx: number; cy: number } | null;
}

export interface ChartSample {
  targetId: number;
  cx: number;
  cy: number;
  /** The point lay off the screen and is drawn on its edge. */
  clipped: boolean;
}

export interface ChartLayout {
  width: number;
  height: number;
  /** Chart units per screen px. */
  scale: number;
  targets: ChartTarget[];
  samples: ChartSample[];
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

export function chartLayout(input: ChartInput): ChartLayout {
  const { screenWidthPx, screenHeightPx, chartWidth } = input;
  if (!(screenWidthPx > 0 && screenHeightPx > 0 && chartWidth > 0)) {
    throw new RangeError(
      `chart sizes must be positive: screen ${screenWidthPx}x${screenHeightPx}, chart ${chartWidth}`,
    );
  }
  const scale = chartWidth / screenWidthPx;
  const width = chartWidth;
  const height = screenHeightPx * scale;
  const project = (point: ScreenPx): { cx: number; cy: number; clipped: boolean } => {
    const cx = point.xPx * scale;
    const cy = point.yPx * scale;
    const clampedX = clamp(cx, 0, width);
    const clampedY = clamp(cy, 0, height);
    return { cx: clampedX, cy: clampedY, clipped: clampedX !== cx || clampedY !== cy };
  };
  const samples: ChartSample[] = [];
  const targets = input.targets.map((target): ChartTarget => {
    const points = input.samples?.get(target.id) ?? [];
    for (const point of points) {
      if (Number.isFinite(point.xPx) && Number.isFinite(point.yPx)) {
        samples.push({ targetId: target.id, ...project(point) });
      }
    }
    const finite = points.filter((p) => Number.isFinite(p.xPx) && Number.isFinite(p.yPx));
    const mean =
      finite.length === 0
        ? null
        : project({
            xPx: finite.reduce((sum, p) => sum + p.xPx, 0) / finite.length,
            yPx: finite.reduce((sum, p) => sum + p.yPx, 0) / finite.length,
          });
    const centre = project(target);
    return {
      id: target.id,
      cx: centre.cx,
      cy: centre.cy,
      r: target.radiusPx === null ? null : target.radiusPx * scale,
      mean: mean === null ? null : { cx: mean.cx, cy: mean.cy },
    };
  });
  return { width, height, scale, targets, samples };
}
