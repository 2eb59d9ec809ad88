// Overlay geometry: from a sample (full-frame pixels and camera-frame millimetres) to shapes in
// frame pixels, and from frame pixels to the pixels of the element the video is shown in.
// Pure functions; src/overlay/draw.ts paints the result.

import type { HeadPose, PointPx, SampleMessage, Vector3 } from 'gazertc-client/protocol';

/**
 * The server's assumed horizontal field of view for an uncalibrated webcam
 * (gazertc.vision.headpose.ASSUMED_HORIZONTAL_FOV_DEG): its 3D results project back correctly
 * only with the same intrinsics.
 */
export const ASSUMED_HORIZONTAL_FOV_DEG = 60;
/** Head axes drawn this long, like the server's annotated video. */
export const AXIS_LENGTH_MM = 60;
/** Gaze ray drawn this long. */
export const GAZE_LENGTH_MM = 200;
/** Points this close to (or behind) the camera plane have no meaningful projection. */
const MIN_PROJECTION_DEPTH_MM = 1;

export interface Intrinsics {
  fxPx: number;
  fyPx: number;
  cxPx: number;
  cyPx: number;
}

/** Pinhole intrinsics the server assumes for a frame of this size (square pixels, centred). */
export function assumedIntrinsics(widthPx: number, heightPx: number): Intrinsics {
  const focalPx = widthPx / 2 / Math.tan((ASSUMED_HORIZONTAL_FOV_DEG * Math.PI) / 180 / 2);
  return { fxPx: focalPx, fyPx: focalPx, cxPx: (widthPx - 1) / 2, cyPx: (heightPx - 1) / 2 };
}

/** A 3x3 rotation matrix, row-major. */
export type Matrix3 = readonly [Vector3, Vector3, Vector3];

/** Rodrigues: axis-angle vector (radians) to rotation matrix. */
export function rotationMatrix(rotationVector: Vector3): Matrix3 {
  const [rx, ry, rz] = rotationVector;
  const theta = Math.hypot(rx, ry, rz);
  if (theta < 1e-12) {
    return [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
  }
  const [kx, ky, kz] = [rx / theta, ry / theta, rz / theta];
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const t = 1 - c;
  return [
    [c + kx * kx * t, kx * ky * t - kz * s, kx * kz * t + ky * s],
    [ky * kx * t + kz * s, c + ky * ky * t, ky * kz * t - kx * s],
    [kz * kx * t - ky * s, kz * ky * t + kx * s, c + kz * kz * t],
  ];
}

function rotate(matrix: Matrix3, vector: Vector3): Vector3 {
  const [r0, r1, r2] = matrix;
  return [
    r0[0] * vector[0] + r0[1] * vector[1] + r0[2] * vector[2],
    r1[0] * vector[0] + r1[1] * vector[1] + r1[2] * vector[2],
    r2[0] * vector[0] + r2[1] * vector[1] + r2[2] * vector[2],
  ];
}

function add(a: Vector3, b: Vector3, scale = 1): Vector3 {
  return [a[0] + scale * b[0], a[1] + scale * b[1], a[2] + scale * b[2]];
}

/** A camera-frame point (mm) projected to frame pixels, or null when it is not in front. */
export function project(intrinsics: Intrinsics, pointMm: Vector3): PointPx | null {
  const [x, y, z] = pointMm;
  if (!(z >= MIN_PROJECTION_DEPTH_MM) || !Number.isFinite(x) || !Number.isFinite(y)) return null;
  return [intrinsics.fxPx * (x / z) + intrinsics.cxPx, intrinsics.fyPx * (y / z) + intrinsics.cyPx];
}

export interface Segment {
  from: PointPx;
  to: PointPx;
}

export interface HeadAxes {
  /** Towards the subject's left. */
  x: Segment | null;
  /** Down the face. */
  y: Segment | null;
  /** Out of the face, forwards. */
  forward: Segment | null;
}

/** The head's axes, drawn from the nose bridge (the face model's origin). */
export function headAxes(
  pose: HeadPose,
  intrinsics: Intrinsics,
  lengthMm = AXIS_LENGTH_MM,
): HeadAxes {
  const rotation = rotationMatrix(pose.rotation_vector);
  const origin = pose.translation_mm;
  const from = project(intrinsics, origin);
  const axis = (direction: Vector3): Segment | null => {
    const to = project(intrinsics, add(origin, rotate(rotation, direction), lengthMm));
    return from === null || to === null ? null : { from, to };
  };
  // Head z points to the back of the head; the forward axis is -z.
  return { x: axis([1, 0, 0]), y: axis([0, 1, 0]), forward: axis([0, 0, -1]) };
}

/** The gaze ray from between the eyes, as far as `lengthMm` along the gaze direction. */
export function gazeSegment(
  origin: Vector3,
  direction: Vector3,
  intrinsics: Intrinsics,
  lengthMm = GAZE_LENGTH_MM,
): Segment | null {
  const from = project(intrinsics, origin);
  const to = project(intrinsics, add(origin, direction, lengthMm));
  return from === null || to === null ? null : { from, to };
}

export interface EyeShape {
  side: 'right' | 'left';
  centre: PointPx | null;
  radiusPx: number | null;
  open: boolean;
  /** The eye's outline (landmarks 36-41 or 42-47), when landmarks are present. */
  outline: readonly PointPx[];
}

/** Everything the overlay draws for one sample, in frame pixels. */
export interface OverlayShapes {
  frameWidthPx: number;
  frameHeightPx: number;
  box: { left: number; top: number; right: number; bottom: number } | null;
  landmarks: readonly PointPx[];
  eyes: readonly EyeShape[];
  axes: HeadAxes | null;
  gaze: Segment | null;
}

const EYE_OUTLINE_LANDMARKS = {
  right: [36, 37, 38, 39, 40, 41],
  left: [42, 43, 44, 45, 46, 47],
} as const;

export function overlayShapes(sample: SampleMessage): OverlayShapes {
  const intrinsics = assumedIntrinsics(sample.frame_width_px, sample.frame_height_px);
  const landmarks = sample.landmarks_px ?? [];
  const eyes: EyeShape[] = [];
  for (const eye of [sample.right_eye, sample.left_eye]) {
    if (eye === null) continue;
    eyes.push({
      side: eye.side,
      centre: eye.centre_px,
      radiusPx: eye.iris_radius_px,
      open: eye.is_open,
      outline: EYE_OUTLINE_LANDMARKS[eye.side]
        .map((index) => landmarks[index])
        .filter((point): point is PointPx => point !== undefined),
    });
  }
  const box = sample.face_box;
  return {
    frameWidthPx: sample.frame_width_px,
    frameHeightPx: sample.frame_height_px,
    box:
      box === null
        ? null
        : { left: box.left_px, top: box.top_px, right: box.right_px, bottom: box.bottom_px },
    landmarks,
    eyes,
    axes: sample.head_pose === null ? null : headAxes(sample.head_pose, intrinsics),
    gaze:
      sample.gaze === null
        ? null
        : gazeSegment(sample.gaze.origin_mm, sample.gaze.direction, intrinsics),
  };
}

/** Where content of a given size appears inside a box with `object-fit: contain`. */
export interface Placement {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function containPlacement(
  contentWidth: number,
  contentHeight: number,
  boxWidth: number,
  boxHeight: number,
): Placement {
  if (contentWidth <= 0 || contentHeight <= 0 || boxWidth <= 0 || boxHeight <= 0) {
    return { x: 0, y: 0, width: 0, height: 0 };
  }
  const scale = Math.min(boxWidth / contentWidth, boxHeight / contentHeight);
  const width = contentWidth * scale;
  const height = contentHeight * scale;
  return { x: (boxWidth - width) / 2, y: (boxHeight - height) / 2, width, height };
}

/**
 * The affine map from frame pixels to element pixels, `[a, b, c, d, e, f]` as in
 * `CanvasRenderingContext2D.setTransform`. Frame coordinates are normalised by the sample's frame
 * size, so the overlay stays right when the sender scaled the video down on the way. Frame
 * pixel centres sit on integer coordinates (the server's convention) and element pixel centres on
 * half-integers, hence the half-pixel shift.
 */
export function frameToElement(
  frameWidthPx: number,
  frameHeightPx: number,
  placement: Placement,
): [number, number, number, number, number, number] {
  const sx = placement.width / frameWidthPx;
  const sy = placement.height / frameHeightPx;
  return [sx, 0, 0, sy, placement.x + 0.5 * sx, placement.y + 0.5 * sy];
}

/** Apply a `frameToElement` map to a point. */
export function applyTransform(
  transform: readonly [number, number, number, number, number, number],
  point: PointPx,
): PointPx {
  const [a, b, c, d, e, f] = transform;
  return [a * point[0] + c * point[1] + e, b * point[0] + d * point[1] + f];
}
