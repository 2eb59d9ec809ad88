import { describe, expect, it } from 'vitest';
import {
  SNAP_RADIUS_PX,
  distanceToTarget,
  snapToTarget,
  type SnapTarget,
} from '../../src/board/snapping';

// Two buttons side by side with a 24 px gap, as on the board.
const YES: SnapTarget = { id: 'yes', left: 0, top: 0, right: 300, bottom: 200 };
const NO: SnapTarget = { id: 'no', left: 324, top: 0, right: 624, bottom: 200 };
const TARGETS = [YES, NO];

describe('snapping the gaze to targets', () => {
  it('snaps a point inside a target to its centre', () => {
    expect(snapToTarget({ xPx: 20, yPx: 190 }, TARGETS)).toEqual({
      targetId: 'yes',
      point: { xPx: 150, yPx: 100 },
    });
  });

  it('snaps a near miss in the gap to the nearer target', () => {
    expect(snapToTarget({ xPx: 305, yPx: 100 }, TARGETS).targetId).toBe('yes');
    expect(snapToTarget({ xPx: 320, yPx: 100 }, TARGETS)).toEqual({
      targetId: 'no',
      point: { xPx: 474, yPx: 100 },
    });
    expect(snapToTarget({ xPx: 150, yPx: 200 + SNAP_RADIUS_PX - 1 }, TARGETS).targetId).toBe('yes');
  });

  it('leaves a point beyond the radius where it is', () => {
    const far = { xPx: 150, yPx: 200 + SNAP_RADIUS_PX + 1 };
    expect(snapToTarget(far, TARGETS)).toEqual({ targetId: null, point: far });
    expect(snapToTarget(far, [])).toEqual({ targetId: null, point: far });
  });

  it('prefers the target the point is inside over a nearer centre', () => {
    const big: SnapTarget = { id: 'big', left: 0, top: 0, right: 1000, bottom: 1000 };
    const small: SnapTarget = { id: 'small', left: 1010, top: 490, right: 1030, bottom: 510 };
    expect(snapToTarget({ xPx: 995, yPx: 500 }, [big, small]).targetId).toBe('big');
  });

  it('breaks ties by the centre, then by order', () => {
    const wide: SnapTarget = { id: 'wide', left: 0, top: 0, right: 600, bottom: 100 };
    const narrow: SnapTarget = { id: 'narrow', left: 0, top: 0, right: 100, bottom: 100 };
    expect(snapToTarget({ xPx: 50, yPx: 50 }, [wide, narrow]).targetId).toBe('narrow');
    expect(snapToTarget({ xPx: 50, yPx: 50 }, [narrow, { ...narrow, id: 'twin' }]).targetId).toBe(
      'narrow',
    );
  });

  it('measures the distance to the rectangle, zero inside', () => {
    expect(distanceToTarget({ xPx: 10, yPx: 10 }, YES)).toBe(0);
    expect(distanceToTarget({ xPx: 303, yPx: 204 }, YES)).toBe(5);
  });
});
