import { describe, expect, it } from 'vitest';
import {
  applyTransform,
  assumedIntrinsics,
  containPlacement,
  frameToElement,
  gazeSegment,
  headAxes,
  overlayShapes,
  project,
  rotationMatrix,
} from '../../src/overlay/geometry';
import type { HeadPose, SampleMessage } from 'gazertc-client/protocol';
import { fixture } from '../fixtures';

const sampleWithFace = fixture('sample.face.json') as SampleMessage;
const sampleWithoutFace = fixture('sample.no_face.json') as SampleMessage;

function pose(
  rotation_vector: [number, number, number],
  translation_mm: [number, number, number],
): HeadPose {
  return {
    yaw_deg: 0,
    pitch_deg: 0,
    roll_deg: 0,
    rotation_vector,
    translation_mm,
    reprojection_error_px: 0,
  };
}

describe('camera model', () => {
  it('assumes the server intrinsics: 60 degree field of view, centred', () => {
    const intrinsics = assumedIntrinsics(640, 480);
    expect(intrinsics.fxPx).toBeCloseTo(320 / Math.tan(Math.PI / 6), 9);
    expect(intrinsics.fyPx).toBe(intrinsics.fxPx);
    expect([intrinsics.cxPx, intrinsics.cyPx]).toEqual([319.5, 239.5]);
  });

  it('projects points in front of the camera only', () => {
    const intrinsics = assumedIntrinsics(640, 480);
    expect(project(intrinsics, [0, 0, 500])).toEqual([319.5, 239.5]);
    const [x, y] = project(intrinsics, [50, -25, 500]) ?? [Number.NaN, Number.NaN];
    expect(x).toBeCloseTo(319.5 + intrinsics.fxPx * 0.1, 9);
    expect(y).toBeCloseTo(239.5 - intrinsics.fyPx * 0.05, 9);
    expect(project(intrinsics, [0, 0, 0.5])).toBeNull();
    expect(project(intrinsics, [0, 0, -100])).toBeNull();
  });
});

describe('rotationMatrix (Rodrigues)', () => {
  it('is the identity for a zero vector', () => {
    expect(rotationMatrix([0, 0, 0])).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('turns x into -z for +90 degrees about y', () => {
    const [r0, r1, r2] = rotationMatrix([0, Math.PI / 2, 0]);
    // Columns are the images of the unit axes: x -> (0, 0, -1).
    expect(r0[0]).toBeCloseTo(0, 12);
    expect(r1[0]).toBeCloseTo(0, 12);
    expect(r2[0]).toBeCloseTo(-1, 12);
    expect(r0[2]).toBeCloseTo(1, 12);
  });

  it('is orthonormal for an arbitrary rotation', () => {
    const matrix = rotationMatrix([0.3, -0.7, 1.1]);
    for (let i = 0; i < 3; i += 1) {
      for (let j = 0; j < 3; j += 1) {
        const dot = [0, 1, 2].reduce(
          (sum, k) => sum + (matrix[k]?.[i] ?? 0) * (matrix[k]?.[j] ?? 0),
          0,
        );
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
});

describe('headAxes', () => {
  const intrinsics = assumedIntrinsics(640, 480);

  it('for a face looking into the camera: x to the image right, y down, forward towards the lens', () => {
    const axes = headAxes(pose([0, 0, 0], [0, 0, 600]), intrinsics, 60);
    expect(axes.x?.from).toEqual([319.5, 239.5]);
    expect(axes.x?.to[0]).toBeCloseTo(319.5 + intrinsics.fxPx * 0.1, 9);
    expect(axes.x?.to[1]).toBeCloseTo(239.5, 9);
    expect(axes.y?.to[1]).toBeGreaterThan(239.5);
    // Straight at the camera, the forward axis collapses to a point.
    expect(axes.forward?.to[0]).toBeCloseTo(319.5, 9);
    expect(axes.forward?.to[1]).toBeCloseTo(239.5, 9);
  });

  it('turned about the vertical axis, the forward axis leans sideways', () => {
    const turned = headAxes(pose([0, 0.5, 0], [0, 0, 600]), intrinsics, 60);
    expect(turned.forward?.to[0]).toBeLessThan(319.5 - 10);
  });

  it('has no axes when the head is behind the camera', () => {
    const axes = headAxes(pose([0, 0, 0], [0, 0, -10]), intrinsics, 60);
    expect(axes).toEqual({ x: null, y: null, forward: null });
  });
});

describe('gazeSegment', () => {
  it('runs from the projected origin along the direction', () => {
    const intrinsics = assumedIntrinsics(640, 480);
    const segment = gazeSegment([0, 0, 600], [0, 0, -1], intrinsics, 200);
    expect(segment?.from).toEqual([319.5, 239.5]);
    expect(segment?.to).toEqual([319.5, 239.5]);
    const upwards = gazeSegment([0, 0, 600], [0, -0.6, -0.8], intrinsics, 200);
    expect(upwards?.to[1]).toBeLessThan(239.5);
  });
});

describe('overlayShapes', () => {
  it('has everything the sample has', () => {
    const shapes = overlayShapes(sampleWithFace);
    expect(shapes.box).toEqual({ left: 142, top: 88, right: 258, bottom: 204 });
    expect(shapes.landmarks).toHaveLength(68);
    expect(shapes.eyes.map((eye) => eye.side)).toEqual(['right', 'left']);
    for (const eye of shapes.eyes) expect(eye.outline).toHaveLength(6);
    expect(shapes.eyes[0]?.outline[0]).toEqual(sampleWithFace.landmarks_px?.[36]);
    expect(shapes.eyes[1]?.outline[0]).toEqual(sampleWithFace.landmarks_px?.[42]);
    expect(shapes.axes?.forward).not.toBeNull();
    expect(shapes.gaze).not.toBeNull();
  });

  it('has nothing without a face', () => {
    const shapes = overlayShapes(sampleWithoutFace);
    expect(shapes).toMatchObject({ box: null, landmarks: [], eyes: [], axes: null, gaze: null });
  });

  it('draws the gaze ray from where the eyes are', () => {
    const shapes = overlayShapes(sampleWithFace);
    const box = shapes.box;
    const from = shapes.gaze?.from;
    expect(box).not.toBeNull();
    expect(from).toBeDefined();
    if (box === null || from === undefined) return;
    expect(from[0]).toBeGreaterThan(box.left);
    expect(from[0]).toBeLessThan(box.right);
    expect(from[1]).toBeGreaterThan(box.top);
    expect(from[1]).toBeLessThan(box.bottom);
  });
});

describe('placing the frame on screen', () => {
  it('letterboxes a wide frame and pillarboxes a tall one', () => {
    expect(containPlacement(1280, 720, 800, 600)).toEqual({ x: 0, y: 75, width: 800, height: 450 });
    const tall = containPlacement(400, 300, 1000, 500);
    expect(tall.x).toBeCloseTo(500 / 3, 9);
    expect(tall.width).toBeCloseTo(2000 / 3, 9);
    expect([tall.y, tall.height]).toEqual([0, 500]);
    expect(containPlacement(0, 300, 1000, 500)).toEqual({ x: 0, y: 0, width: 0, height: 0 });
  });

  it('maps frame pixel centres to element pixel centres', () => {
    // A 400x300 frame shown at 800x600: frame pixel (0, 0) covers element [0, 2) x [0, 2).
    const transform = frameToElement(400, 300, containPlacement(400, 300, 800, 600));
    expect(applyTransform(transform, [0, 0])).toEqual([1, 1]);
    expect(applyTransform(transform, [399, 299])).toEqual([799, 599]);
    expect(applyTransform(transform, [199.5, 149.5])).toEqual([400, 300]);
  });

  it('uses the sample frame size, so a video the sender scaled down still lines up', () => {
    // The camera gives 1280x720 but the server received 640x360: the same relative place.
    const placement = containPlacement(1280, 720, 640, 360);
    const transform = frameToElement(640, 360, placement);
    expect(applyTransform(transform, [319.5, 179.5])).toEqual([320, 180]);
  });
});
