// The heatmap of a replay: how many gaze samples fell in each cell of a grid over the plane,
// smoothed, and the colour of a cell. Pure; components/recordings/HeatmapCanvas.tsx paints it.

import { toFraction, type Plane, type PlanePoint } from './plane';

export interface HeatmapGrid {
  columns: number;
  rows: number;
  /** Row-major values, `rows * columns` of them. */
  values: Float64Array;
  /** The largest value (0 for an empty grid). */
  max: number;
}

function emptyGrid(columns: number, rows: number): HeatmapGrid {
  if (!(Number.isInteger(columns) && Number.isInteger(rows) && columns > 0 && rows > 0)) {
    throw new RangeError(`a heatmap grid needs whole positive sizes, got ${columns}x${rows}`);
  }
  return { columns, rows, values: new Float64Array(columns * rows), max: 0 };
}

/** The count of `points` in each cell; points off the plane are left out. */
export function heatmapGrid(
  points: Iterable<PlanePoint>,
  plane: Plane,
  columns: number,
  rows: number,
): HeatmapGrid {
  const grid = emptyGrid(columns, rows);
  for (const point of points) {
    const { u, v } = toFraction(plane, point);
    if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) continue;
    const column = Math.min(columns - 1, Math.floor(u * columns));
    const row = Math.min(rows - 1, Math.floor(v * rows));
    const index = row * columns + column;
    grid.values[index] = (grid.values[index] ?? 0) + 1;
  }
  grid.max = Math.max(0, ...grid.values);
  return grid;
}

/** `grid` blurred by a Gaussian of `sigmaCells` (separable: rows, then columns). */
export function smoothGrid(grid: HeatmapGrid, sigmaCells: number): HeatmapGrid {
  const reach = Math.ceil(3 * sigmaCells);
  const kernel = Array.from({ length: 2 * reach + 1 }, (_, i) =>
    Math.exp(-((i - reach) ** 2) / (2 * sigmaCells ** 2)),
  );
  const pass = (source: Float64Array, alongRows: boolean): Float64Array => {
    const out = new Float64Array(source.length);
    for (let row = 0; row < grid.rows; row += 1) {
      for (let column = 0; column < grid.columns; column += 1) {
        let sum = 0;
        for (let k = -reach; k <= reach; k += 1) {
          const c = alongRows ? column + k : column;
          const r = alongRows ? row : row + k;
          if (c < 0 || c >= grid.columns || r < 0 || r >= grid.rows) continue;
          sum += (source[r * grid.columns + c] ?? 0) * (kernel[k + reach] ?? 0);
        }
        out[row * grid.columns + column] = sum;
      }
    }
    return out;
  };
  const values = pass(pass(grid.values, true), false);
  return { columns: grid.columns, rows: grid.rows, values, max: Math.max(0, ...values) };
}

/** The colour of a cell at `fraction` of the maximum: transparent blue to opaque yellow. */
export function heatColour(fraction: number): [number, number, number, number] {
  const f = Math.min(1, Math.max(0, fraction));
  // Blue -> red -> yellow, opaque from 60 % of the maximum.
  const red = Math.round(255 * Math.min(1, f * 2));
  const green = Math.round(255 * Math.max(0, f * 2 - 1));
  const blue = Math.round(255 * Math.max(0, 1 - f * 2));
  return [red, green, blue, Math.round(255 * Math.min(1, f / 0.6))];
}
