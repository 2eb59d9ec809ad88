import { useEffect, useMemo, useRef } from 'react';
import { heatColour, heatmapGrid, smoothGrid } from '../../recordings/heatmap';
import { samplePoint, type Plane, type PlanePoint } from '../../recordings/plane';
import { sampleIndexRange, type TimeRange } from '../../recordings/timeRange';
import type { RecordingReplay } from '../../recordings/types';
import { PlaneFigure, planeBox, planeCaption } from './PlaneFigure';

/** Cells across the heatmap: fine enough for a screen's regions, coarse enough to fill in. */
const COLUMNS = 64;
/** The blur (cells): a gaze estimate is a few cells uncertain. */
const SIGMA_CELLS = 1.5;

/** Where the gaze fell in `range`: a smoothed grid painted on a canvas laid over the plane. */
export function HeatmapCanvas(props: { replay: RecordingReplay; plane: Plane; range: TimeRange }) {
  const { replay, plane, range } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const { grid, sampleCount } = useMemo(() => {
    const { start, end } = sampleIndexRange(replay.t_s, range);
    const points: PlanePoint[] = [];
    for (let index = start; index < end; index += 1) {
      const point = samplePoint(replay, plane, index);
      if (point !== null) points.push(point);
    }
    const rows = Math.max(1, Math.round(COLUMNS * plane.aspect));
    return {
      grid: smoothGrid(heatmapGrid(points, plane, COLUMNS, rows), SIGMA_CELLS),
      sampleCount: points.length,
    };
  }, [replay, plane, range]);

  useEffect(() => {
    // Null in a browser without canvas (jsdom): the figure still says what it holds.
    const context = canvas.current?.getContext('2d') ?? null;
    if (context === null) return;
    const image = context.createImageData(grid.columns, grid.rows);
    grid.values.forEach((value, index) => {
      const colour = heatColour(grid.max > 0 ? value / grid.max : 0);
      image.data.set(colour, index * 4);
    });
    context.putImageData(image, 0, 0);
  }, [grid]);

  return (
    <figure className="card recording-figure">
      <h3>Heatmap</h3>
      <div className="heatmap-layers">
        <PlaneFigure plane={plane} label="Heatmap of the gaze" testId="heatmap-frame">
          {null}
        </PlaneFigure>
        <canvas
          ref={canvas}
          className="heatmap-canvas"
          data-testid="heatmap"
          data-samples={sampleCount}
          width={grid.columns}
          height={grid.rows}
          style={planeBox(plane)}
        />
      </div>
      <figcaption>
        {sampleCount} gaze samples. {planeCaption(plane)}
      </figcaption>
    </figure>
  );
}
