// WebGazer pages train by calling recordScreenPosition(x, y) while the user looks at a point
// (jsPsych's calibrate plugin: every animation frame in "view" mode, once per click in "click"
// mode). gazertc's server calibrates from targets with a known interval instead. This module
// turns the calls into such targets: consecutive calls at one position form a visit, a visit is
// a target shown from its first call to its last. Pure: times come in as arguments.

/** Calls within this distance are one position: jsPsych's points are 20 px wide and a click lands anywhere on one. */
export const SAME_POSITION_RADIUS_PX = 25;
/** A longer pause between calls at one position starts a new visit (the user may have looked away). */
export const VISIT_GAP_MS = 1000;
/**
 * A visit shorter than this (a single click) is taken to start this long before its last call:
 * the user looks at a point before clicking it. The server drops the first 300 ms after a target
 * appears (saccade latency), so this leaves about half a second of samples.
 */
export const MIN_VISIT_SPAN_MS = 800;
/** The server refuses a target window longer than 30 s: a longer visit is split. */
export const MAX_VISIT_SPAN_MS = 30_000;
/** The server's fit needs at least 4 distinct targets. */
export const MIN_DISTINCT_POSITIONS = 4;
/** The protocol allows at most 100 targets per procedure: older visits are dropped first. */
export const MAX_VISITS = 100;
/**
 * The server keeps 120 s of samples for calibrations made after the fact; visits older than
 * this are no longer sent (10 s margin for the messages to arrive).
 */
export const MAX_VISIT_AGE_MS = 110_000;

/** One visit of the user's gaze to a position, in viewport CSS px and page milliseconds. */
export interface TargetVisit {
  /** Mean position of the visit's calls. */
  xPx: number;
  yPx: number;
  /** When the target counts as shown and done (performance.now() ms). */
  shownPageMs: number;
  donePageMs: number;
  /** recordScreenPosition calls in this visit. */
  calls: number;
}

interface OpenVisit {
  sumXPx: number;
  sumYPx: number;
  calls: number;
  firstPageMs: number;
  lastPageMs: number;
}

function visitOf(open: OpenVisit): TargetVisit {
  const xPx = open.sumXPx / open.calls;
  const yPx = open.sumYPx / open.calls;
  const shownPageMs = Math.min(open.firstPageMs, open.lastPageMs - MIN_VISIT_SPAN_MS);
  return { xPx, yPx, shownPageMs, donePageMs: open.lastPageMs, calls: open.calls };
}

function near(aXPx: number, aYPx: number, bXPx: number, bYPx: number): boolean {
  return Math.hypot(aXPx - bXPx, aYPx - bYPx) <= SAME_POSITION_RADIUS_PX;
}

/** Collects recordScreenPosition calls into visits (bounded: at most MAX_VISITS kept). */
export class VisitCollector {
  private readonly closed: OpenVisit[] = [];
  private open: OpenVisit | null = null;
  /** Calls recorded since the last `takeChanged()`. */
  private changed = false;

  /**
   * Add one call. Calls must come in time order (a call older than the last one is ignored:
   * it cannot extend a visit backwards).
   */
  record(xPx: number, yPx: number, pageMs: number): void {
    if (!Number.isFinite(xPx) || !Number.isFinite(yPx) || !Number.isFinite(pageMs)) return;
    const open = this.open;
    if (open !== null && pageMs < open.lastPageMs) return;
    this.changed = true;
    if (
      open !== null &&
      pageMs - open.lastPageMs <= VISIT_GAP_MS &&
      pageMs - open.firstPageMs <= MAX_VISIT_SPAN_MS &&
      near(xPx, yPx, open.sumXPx / open.calls, open.sumYPx / open.calls)
    ) {
      open.sumXPx += xPx;
      open.sumYPx += yPx;
      open.calls += 1;
      open.lastPageMs = pageMs;
      return;
    }
    if (open !== null) this.closed.push(open);
    if (this.closed.length >= MAX_VISITS)
      this.closed.splice(0, this.closed.length - MAX_VISITS + 1);
    this.open = { sumXPx: xPx, sumYPx: yPx, calls: 1, firstPageMs: pageMs, lastPageMs: pageMs };
  }

  /** Whether calls came since the last call of this method (and forget that they did). */
  takeChanged(): boolean {
    const changed = this.changed;
    this.changed = false;
    return changed;
  }

  /** The visits whose start lies within MAX_VISIT_AGE_MS of `nowPageMs`, oldest first. */
  visits(nowPageMs: number): TargetVisit[] {
    const all = this.open === null ? this.closed : [...this.closed, this.open];
    return all.map(visitOf).filter((visit) => nowPageMs - visit.shownPageMs <= MAX_VISIT_AGE_MS);
  }

  clear(): void {
    this.closed.length = 0;
    this.open = null;
    this.changed = false;
  }
}

/** How many distinct positions (farther apart than SAME_POSITION_RADIUS_PX) the visits cover. */
export function distinctPositions(visits: readonly TargetVisit[]): number {
  const positions: { xPx: number; yPx: number }[] = [];
  for (const visit of visits) {
    if (!positions.some((seen) => near(seen.xPx, seen.yPx, visit.xPx, visit.yPx))) {
      positions.push(visit);
    }
  }
  return positions.length;
}
