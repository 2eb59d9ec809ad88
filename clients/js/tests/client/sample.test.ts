import { describe, expect, it } from 'vitest';
import { toGazeSample, viewportOrigin } from '../../src/client/sample';
import type { SampleMessage } from '../../src/protocol';
import { fixture } from '../fixtures';

const FACE = fixture('sample.face.json') as SampleMessage;

describe('toGazeSample', () => {
  it('gives the capture time on both clocks and the point in screen and viewport px', () => {
    const message: SampleMessage = {
      ...FACE,
      screen_point: { x_px: 500, y_px: 300, smoothed_x_px: 510, smoothed_y_px: 290 },
    };
    const sample = toGazeSample(message, (ns) => ns / 1e6 - 1_000, { xPx: 100, yPx: 80 });
    expect(sample.captureUnixMs).toBe(message.timestamp_unix_ns / 1e6);
    expect(sample.capturePageMs).toBe(message.timestamp_unix_ns / 1e6 - 1_000);
    expect(sample.screen).toEqual({ xPx: 500, yPx: 300, smoothedXPx: 510, smoothedYPx: 290 });
    expect(sample.viewport).toEqual({ xPx: 400, yPx: 220, smoothedXPx: 410, smoothedYPx: 210 });
    expect(sample.frameId).toBe(message.frame_id);
    expect(sample.faceFound).toBe(message.face_found);
    expect(sample.headPose?.yawDeg).toBe(message.head_pose?.yaw_deg);
    expect(sample.gaze?.pitchDeg).toBe(message.gaze?.pitch_deg);
    expect(sample.message).toBe(message);
  });

  it('takes its confidence from the eyes found, none without eyes', () => {
    const right = FACE.right_eye;
    const left = FACE.left_eye;
    if (right === null || left === null) throw new Error('the face fixture has both eyes');
    const both = toGazeSample(
      { ...FACE, right_eye: { ...right, confidence: 0.9 }, left_eye: { ...left, confidence: 0.5 } },
      (ns) => ns,
      { xPx: 0, yPx: 0 },
    );
    expect(both.confidence).toBeCloseTo(0.7);
    const oneEye = toGazeSample(
      { ...FACE, right_eye: null, left_eye: { ...left, confidence: 0.4 } },
      (ns) => ns,
      { xPx: 0, yPx: 0 },
    );
    expect(oneEye.confidence).toBeCloseTo(0.4);
    const none = toGazeSample({ ...FACE, right_eye: null, left_eye: null }, (ns) => ns, {
      xPx: 0,
      yPx: 0,
    });
    expect(none.confidence).toBeNull();
  });

  it('has no point before calibration', () => {
    const uncalibrated: SampleMessage = { ...FACE };
    delete uncalibrated.screen_point;
    const sample = toGazeSample(uncalibrated, (ns) => ns, { xPx: 0, yPx: 0 });
    expect(sample.screen).toBeNull();
    expect(sample.viewport).toBeNull();
  });
});

describe('viewportOrigin', () => {
  it('adds the window frame to its position: side borders equal, the rest on top', () => {
    const win = {
      screenX: 200,
      screenY: 50,
      outerWidth: 1216,
      innerWidth: 1200,
      outerHeight: 900,
      innerHeight: 800,
    } as Window;
    expect(viewportOrigin(win)).toEqual({ xPx: 208, yPx: 50 + 92 });
  });
});
