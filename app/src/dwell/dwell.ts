// Dwell selection: a region triggers when the gaze stays on it for `dwellMs`. Plain TypeScript
// driven by gaze points and times, so it can be tested with synthetic gaze; the dwell page feeds
// it `screen_point`s and draws what it returns.
//
// Rules: a glance shorter than the dwell time does nothing; leaving a region resets it; a short
// loss of the gaze (a blink, a dropped frame, one noisy point) within `graceMs` does not; after
// a trigger the region must be left before it can trigger again (no repeats while staring);
// while paused nothing progresses or triggers.

export interface GazePoint {
  xPx: number;
  yPx: number;
}

/** A rectangle in the same CSS px space as the gaze points (e.g. a button's bounding box). */
export interface DwellRegion {
  id: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** This region's own dwell time (e.g. a longer one for Resume); the tracker's by default. */
  dwellMs?: number;
}

export interface DwellOptions {
  dwellMs: number;
  graceMs?: number;
}

export interface DwellFrame {
  /** The region the gaze is on (or held on during the grace time). */
  regionId: string | null;
  /** 0 to 1 towards triggering `regionId`. */
  progress: number;
  /** The region that triggered on this update, if any. */
  triggered: string | null;
  /** When the look that triggered began (same clock as `nowMs`); null without a trigger. */
  triggeredSinceMs: number | null;
  paused: boolean;
}

/** A blink lasts 100-300 ms; losing the gaze for that long must not reset a dwell. */
export const DEFAULT_GRACE_MS = 300;
export const MIN_DWELL_MS = 200;

const IDLE_FRAME: DwellFrame = {
  regionId: null,
  progress: 0,
  triggered: null,
  triggeredSinceMs: null,
  paused: false,
};

function contains(region: DwellRegion, point: GazePoint): boolean {
  return (
    point.xPx >= region.left &&
    point.xPx <= region.right &&
    point.yPx >= region.top &&
    point.yPx <= region.bottom
  );
}

export class DwellTracker {
  private regions: readonly DwellRegion[] = [];
  private dwellMs: number;
  private readonly graceMs: number;
  private current: string | null = null;
  /** The current region's own dwell time, if it has one. */
  private currentDwellMs: number | undefined;
  private startedAtMs = 0;
  private lastSeenAtMs = 0;
  /** False after a trigger, until the gaze leaves the region. */
  private armed = true;
  private pausedValue = false;

  constructor(options: DwellOptions) {
    this.dwellMs = DwellTracker.checkedDwell(options.dwellMs);
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    if (!(this.graceMs >= 0)) throw new RangeError(`graceMs must be >= 0, got ${this.graceMs}`);
  }

  private static checkedDwell(dwellMs: number): number {
    if (!(Number.isFinite(dwellMs) && dwellMs >= MIN_DWELL_MS)) {
      throw new RangeError(`dwellMs must be at least ${MIN_DWELL_MS}, got ${dwellMs}`);
    }
    return dwellMs;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  setRegions(regions: readonly DwellRegion[]): void {
    for (const region of regions) {
      if (region.dwellMs !== undefined) DwellTracker.checkedDwell(region.dwellMs);
    }
    this.regions = regions;
    if (this.current !== null && !regions.some((region) => region.id === this.current)) {
      this.reset();
    }
  }

  setDwellMs(dwellMs: number): void {
    this.dwellMs = DwellTracker.checkedDwell(dwellMs);
  }

  pause(): void {
    this.pausedValue = true;
    this.reset();
  }

  resume(): void {
    this.pausedValue = false;
    this.reset();
  }

  private reset(): void {
    this.current = null;
    this.armed = true;
  }

  /** Fold in the gaze at `nowMs` (null: no gaze this frame, e.g. a blink). */
  update(point: GazePoint | null, nowMs: number): DwellFrame {
    if (this.pausedValue) return { ...IDLE_FRAME, paused: true };
    const hit = point === null ? undefined : this.regions.find((region) => contains(region, point));
    if (hit !== undefined && hit.id !== this.current) {
      this.current = hit.id;
      this.currentDwellMs = hit.dwellMs;
      this.startedAtMs = nowMs;
      this.lastSeenAtMs = nowMs;
      this.armed = true;
      return { ...IDLE_FRAME, regionId: hit.id };
    }
    if (hit === undefined) {
      if (this.current === null || nowMs - this.lastSeenAtMs > this.graceMs) {
        this.reset();
        return IDLE_FRAME;
      }
      // Within the grace time: hold the region, do not progress.
      return {
        ...IDLE_FRAME,
        regionId: this.current,
        progress: this.armed ? this.progressAt(this.lastSeenAtMs) : 0,
      };
    }
    this.lastSeenAtMs = nowMs;
    if (!this.armed) return { ...IDLE_FRAME, regionId: hit.id };
    const progress = this.progressAt(nowMs);
    if (progress >= 1) {
      this.armed = false;
      return {
        regionId: hit.id,
        progress: 1,
        triggered: hit.id,
        triggeredSinceMs: this.startedAtMs,
        paused: false,
      };
    }
    return { ...IDLE_FRAME, regionId: hit.id, progress };
  }

  private progressAt(nowMs: number): number {
    const dwellMs = this.currentDwellMs ?? this.dwellMs;
    return Math.min(1, Math.max(0, (nowMs - this.startedAtMs) / dwellMs));
  }
}
