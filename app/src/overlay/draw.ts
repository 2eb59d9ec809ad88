// Paints overlay shapes onto a 2D canvas. Shapes come in frame pixels; strokes keep a constant
// on-screen width whatever the video's size, with a dark halo so they read on any background.

import type { PointPx } from 'gazertc-client/protocol';
import { applyTransform, type OverlayShapes, type Segment } from './geometry';

export const OVERLAY_COLOURS = {
  box: '#7ee787',
  landmark: '#e6edf3',
  iris: '#ffd33d',
  axisX: '#ff7b72',
  axisY: '#56d364',
  axisForward: '#58a6ff',
  gaze: '#f778ba',
  halo: 'rgba(0, 0, 0, 0.55)',
} as const;

type Transform = readonly [number, number, number, number, number, number];

function strokeWithHalo(context: CanvasRenderingContext2D, colour: string, widthPx: number): void {
  context.strokeStyle = OVERLAY_COLOURS.halo;
  context.lineWidth = widthPx + 2;
  context.stroke();
  context.strokeStyle = colour;
  context.lineWidth = widthPx;
  context.stroke();
}

function arrow(
  context: CanvasRenderingContext2D,
  segment: Segment,
  transform: Transform,
  colour: string,
  widthPx: number,
): void {
  const [x0, y0] = applyTransform(transform, segment.from);
  const [x1, y1] = applyTransform(transform, segment.to);
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (!(length > 1)) return;
  const head = Math.min(12, 0.3 * length);
  const angle = Math.atan2(y1 - y0, x1 - x0);
  context.beginPath();
  context.moveTo(x0, y0);
  context.lineTo(x1, y1);
  context.moveTo(
    x1 - head * Math.cos(angle - Math.PI / 7),
    y1 - head * Math.sin(angle - Math.PI / 7),
  );
  context.lineTo(x1, y1);
  context.lineTo(
    x1 - head * Math.cos(angle + Math.PI / 7),
    y1 - head * Math.sin(angle + Math.PI / 7),
  );
  strokeWithHalo(context, colour, widthPx);
}

function polygon(
  context: CanvasRenderingContext2D,
  points: readonly PointPx[],
  transform: Transform,
): void {
  context.beginPath();
  points.forEach((point, index) => {
    const [x, y] = applyTransform(transform, point);
    if (index === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.closePath();
}

/**
 * Clear `context` (sized `widthPx` x `heightPx` in CSS pixels, already scaled for the device
 * pixel ratio) and draw `shapes` mapped through `transform` (frame px to CSS px).
 */
export function drawOverlay(
  context: CanvasRenderingContext2D,
  widthPx: number,
  heightPx: number,
  shapes: OverlayShapes | null,
  transform: Transform,
): void {
  context.clearRect(0, 0, widthPx, heightPx);
  if (shapes === null) return;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  const scale = transform[0];

  if (shapes.box !== null) {
    const [left, top] = applyTransform(transform, [shapes.box.left, shapes.box.top]);
    const [right, bottom] = applyTransform(transform, [shapes.box.right, shapes.box.bottom]);
    context.beginPath();
    context.rect(left, top, right - left, bottom - top);
    strokeWithHalo(context, OVERLAY_COLOURS.box, 2);
  }

  context.fillStyle = OVERLAY_COLOURS.landmark;
  for (const point of shapes.landmarks) {
    const [x, y] = applyTransform(transform, point);
    context.beginPath();
    context.arc(x, y, 1.6, 0, 2 * Math.PI);
    context.fill();
  }

  for (const eye of shapes.eyes) {
    if (eye.outline.length >= 3) {
      polygon(context, eye.outline, transform);
      strokeWithHalo(context, eye.open ? OVERLAY_COLOURS.landmark : OVERLAY_COLOURS.iris, 1.5);
    }
    if (eye.centre === null) continue;
    const [x, y] = applyTransform(transform, eye.centre);
    if (eye.radiusPx !== null && eye.radiusPx > 0) {
      context.beginPath();
      context.arc(x, y, eye.radiusPx * scale, 0, 2 * Math.PI);
      strokeWithHalo(context, OVERLAY_COLOURS.iris, 2);
    }
    context.beginPath();
    context.arc(x, y, 2.5, 0, 2 * Math.PI);
    context.fillStyle = OVERLAY_COLOURS.iris;
    context.fill();
  }

  if (shapes.axes !== null) {
    const { x, y, forward } = shapes.axes;
    if (x !== null) arrow(context, x, transform, OVERLAY_COLOURS.axisX, 3);
    if (y !== null) arrow(context, y, transform, OVERLAY_COLOURS.axisY, 3);
    if (forward !== null) arrow(context, forward, transform, OVERLAY_COLOURS.axisForward, 3);
  }
  if (shapes.gaze !== null) arrow(context, shapes.gaze, transform, OVERLAY_COLOURS.gaze, 4);
}
