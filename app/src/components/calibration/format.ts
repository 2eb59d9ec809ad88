// Numbers as the calibration pages show them ("–" when the server had too few samples).

const DASH = '–';

export function formatDeg(value: number | null): string {
  return value === null ? DASH : `${value.toFixed(2)}°`;
}

export function formatPx(value: number | null): string {
  return value === null ? DASH : `${Math.round(value)} px`;
}

export function formatCm(value: number | null): string {
  return value === null ? DASH : `${value.toFixed(1)} cm`;
}

export function formatDistanceMm(value: number | null): string {
  return value === null ? DASH : `${Math.round(value / 10)} cm`;
}
