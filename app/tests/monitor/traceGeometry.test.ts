import { describe, expect, it } from 'vitest';
import {
  ANGLE_RANGE_DEG,
  GAP_MS,
  TRACE_WINDOW_MS,
  anglePosition,
  screenPosition,
  traceAxes,
  traceGeometry,
} from '../../src/monitor/traceGeometry';
import type { MonitorSessionList, MonitorTracePoint } from 'gazertc-client/protocol';
import { fixture } from '../fixtures';

const BOX = { width: 160, height: 100 };
const SCREEN = { width_px: 1600, height_px: 1000 };
const T0 = 1767225600000000000;
const MS = 1_000_000;

function point(atMs: number, yawDeg: number, pitchDeg: number, screen?: [number, number]) {
  const base: MonitorTracePoint = {
    timestamp_unix_ns: T0 + atMs * MS,
    yaw_deg: yawDeg,
    pitch_deg: pitchDeg,
  };
  return screen === undefined ? base : { ...base, screen_x_px: screen[0], screen_y_px: screen[1] };
}

describe('angle positions', () => {
  it('put straight ahead in the middle', () => {
    expect(anglePosition(0, 0, BOX)).toEqual({ x: 80, y: 50 });
  });

  it('show the participant’s left on the left and up at the top, on one scale', () => {
    // Yaw is positive towards the participant's left; pitch positive up.
    const left = anglePosition(ANGLE_RANGE_DEG / 2, 0, BOX);
    expect(left).toEqual({ x: 40, y: 50 });
    const up = anglePosition(0, 10, BOX);
    expect(up.y).toBeCloseTo(50 - 10 * (80 / ANGLE_RANGE_DEG));
  });

  it('keep far-off gaze on the edge of the box', () => {
    expect(anglePosition(-90, -90, BOX)).toEqual({ x: 160, y: 100 });
    expect(anglePosition(90, 90, BOX)).toEqual({ x: 0, y: 0 });
  });
});

describe('screen positions', () => {
  it('scale the screen into the box, clamping points off it', () => {
    expect(screenPosition(800, 500, SCREEN, BOX)).toEqual({ x: 80, y: 50 });
    expect(screenPosition(1600, 0, SCREEN, BOX)).toEqual({ x: 160, y: 0 });
    expect(screenPosition(-300, 2000, SCREEN, BOX)).toEqual({ x: 0, y: 100 });
  });
});

describe('trace geometry', () => {
  it('draws nothing for no points', () => {
    expect(traceGeometry([], BOX, null, null)).toEqual({
      mode: 'angle',
      path: '',
      head: null,
      pointCount: 0,
    });
  });

  it('joins points into one stroke ending at the newest', () => {
    const geometry = traceGeometry(
      [point(0, 0, 0), point(40, 3, 0), point(80, 3, 1.5)],
      BOX,
      null,
      T0 + 100 * MS,
    );
    expect(geometry.path).toBe('M80 50L72 50L72 46');
    expect(geometry.head).toEqual({ x: 72, y: 46 });
    expect(geometry.pointCount).toBe(3);
  });

  it('starts a new stroke after a pause and drops points older than the window', () => {
    const points = [
      point(0, 0, 0),
      point(TRACE_WINDOW_MS + 100, 0, 0),
      point(TRACE_WINDOW_MS + 100 + GAP_MS + 1, 3, 0),
    ];
    const geometry = traceGeometry(points, BOX, null, T0 + (TRACE_WINDOW_MS + 500) * MS);
    expect(geometry.path).toBe('M80 50M72 50');
    expect(geometry.pointCount).toBe(2);
  });

  it('draws screen points of a calibrated session, skipping points from before calibration', () => {
    const points = [point(0, 5, 5), point(40, 0, 0, [400, 250]), point(80, 0, 0, [1200, 750])];
    const geometry = traceGeometry(points, BOX, SCREEN, null);
    expect(geometry.mode).toBe('screen');
    expect(geometry.path).toBe('M40 25L120 75');
    expect(geometry.head).toEqual({ x: 120, y: 75 });
  });

  it('falls back to angles when the newest point has no screen point', () => {
    const points = [point(0, 0, 0, [400, 250]), point(40, 0, 0)];
    expect(traceGeometry(points, BOX, SCREEN, null).mode).toBe('angle');
  });

  it('draws the shared fixture within the box', () => {
    const list = fixture('monitor_session_list.two_sessions.json') as MonitorSessionList;
    for (const session of list.sessions) {
      const geometry = traceGeometry(
        session.trace,
        BOX,
        session.calibrated ? session.screen : null,
        list.server_time_unix_ns,
      );
      const numbers = geometry.path.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
      expect(numbers.every((value) => value >= 0 && value <= 160)).toBe(true);
      expect(geometry.pointCount).toBe(session.calibrated ? 4 : session.trace.length);
    }
  });
});

describe('trace axes', () => {
  const PLOT = { width: 240, height: 150 };

  it('label gaze direction in degrees before calibration, the participant’s left on the left', () => {
    const axes = traceAxes('angle', PLOT, null, false);
    expect(axes.unit).toBe('deg');
    expect(axes.x).toEqual([
      { position: 0, label: `${ANGLE_RANGE_DEG}° left` },
      { position: 120, label: '0°' },
      { position: 240, label: `${ANGLE_RANGE_DEG}° right` },
    ]);
    // The box spans ±18.75° of pitch on the yaw scale: ticks at the largest multiple of 5 inside.
    const pxPerDeg = 120 / ANGLE_RANGE_DEG;
    expect(axes.y.map((tick) => tick.label)).toEqual(['15° up', '0°', '15° down']);
    expect(axes.y[0]?.position).toBeCloseTo(75 - 15 * pxPerDeg);
    expect(axes.y[2]?.position).toBeCloseTo(75 + 15 * pxPerDeg);
    expect(axes.caption).toMatch(/degrees \(not calibrated/);
  });

  it('put each degree tick where a gaze of that angle is drawn', () => {
    const axes = traceAxes('angle', PLOT, null, false);
    const leftTick = axes.x[0];
    expect(leftTick?.position).toBe(anglePosition(ANGLE_RANGE_DEG, 0, PLOT).x);
    expect(axes.y[0]?.position).toBe(anglePosition(0, 15, PLOT).y);
  });

  it('label screen points in CSS px of the participant’s screen once calibrated', () => {
    const axes = traceAxes('screen', PLOT, { width_px: 1536, height_px: 864 }, true);
    expect(axes.unit).toBe('px');
    expect(axes.x).toEqual([
      { position: 0, label: '0' },
      { position: 120, label: '768' },
      { position: 240, label: '1536 px' },
    ]);
    expect(axes.y).toEqual([
      { position: 0, label: '0' },
      { position: 75, label: '432' },
      { position: 150, label: '864 px' },
    ]);
    expect(axes.caption).toBe('Gaze on the participant’s screen, in CSS px (1536×864; calibrated)');
  });

  it('say so when a calibrated session’s latest gaze has no screen position', () => {
    const axes = traceAxes('angle', PLOT, { width_px: 1536, height_px: 864 }, true);
    expect(axes.unit).toBe('deg');
    expect(axes.caption).toMatch(/calibrated, but the latest gaze has no screen position/);
  });

  it('follow the mode the geometry chose for the shared fixture', () => {
    const list = fixture('monitor_session_list.two_sessions.json') as MonitorSessionList;
    const units = list.sessions.map((session) => {
      const screenSize = session.calibrated ? session.screen : null;
      const { mode } = traceGeometry(session.trace, PLOT, screenSize, list.server_time_unix_ns);
      return traceAxes(mode, PLOT, screenSize, session.calibration_applied).unit;
    });
    expect(units).toEqual(['px', 'deg']);
  });
});
