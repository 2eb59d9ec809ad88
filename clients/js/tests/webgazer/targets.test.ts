import { describe, expect, it } from 'vitest';
import {
  distinctPositions,
  MAX_VISIT_AGE_MS,
  MAX_VISIT_SPAN_MS,
  MAX_VISITS,
  MIN_VISIT_SPAN_MS,
  VISIT_GAP_MS,
  VisitCollector,
} from '../../src/webgazer/targets';

/** jsPsych's calibrate plugin in view mode: a call every frame (16.7 ms) for `durationMs`. */
function viewPoint(
  collector: VisitCollector,
  xPx: number,
  yPx: number,
  fromMs: number,
  durationMs: number,
): void {
  const frames = Math.round((durationMs * 60) / 1000);
  for (let frame = 0; frame <= frames; frame++)
    collector.record(xPx, yPx, fromMs + (frame * 1000) / 60);
}

describe('VisitCollector', () => {
  it('groups view-mode calls into one visit per point, shown from the first call to the last', () => {
    const collector = new VisitCollector();
    // 1 s before each point (time_to_saccade), 1 s of calls (time_per_point).
    viewPoint(collector, 100, 80, 1000, 1000);
    viewPoint(collector, 100, 400, 3000, 1000);
    viewPoint(collector, 700, 80, 5000, 1000);
    viewPoint(collector, 700, 400, 7000, 1000);
    const visits = collector.visits(8000);
    expect(visits.map((visit) => [visit.xPx, visit.yPx])).toEqual([
      [100, 80],
      [100, 400],
      [700, 80],
      [700, 400],
    ]);
    expect(visits[0]?.shownPageMs).toBe(1000);
    expect(visits[0]?.donePageMs).toBeCloseTo(2000, 6);
    expect(visits[0]?.calls).toBe(61);
    expect(distinctPositions(visits)).toBe(4);
  });

  it('averages clicks that land at different places on one point', () => {
    const collector = new VisitCollector();
    collector.record(100, 100, 0);
    collector.record(110, 96, 300);
    collector.record(104, 104, 600);
    const [visit] = collector.visits(600);
    expect(visit?.xPx).toBeCloseTo(104.667, 2);
    expect(visit?.yPx).toBeCloseTo(100, 5);
    expect(collector.visits(600)).toHaveLength(1);
  });

  it('looks back before a single click: the user looked at the point before clicking it', () => {
    const collector = new VisitCollector();
    collector.record(50, 60, 5000);
    expect(collector.visits(5000)).toEqual([
      { xPx: 50, yPx: 60, shownPageMs: 5000 - MIN_VISIT_SPAN_MS, donePageMs: 5000, calls: 1 },
    ]);
  });

  it('starts a new visit after a pause at the same point, and for a point farther than the radius', () => {
    const collector = new VisitCollector();
    collector.record(100, 100, 0);
    collector.record(100, 100, VISIT_GAP_MS + 1);
    collector.record(160, 100, VISIT_GAP_MS + 50);
    const visits = collector.visits(VISIT_GAP_MS + 50);
    expect(visits).toHaveLength(3);
    expect(distinctPositions(visits)).toBe(2);
  });

  it('splits a visit longer than the server accepts for one target', () => {
    const collector = new VisitCollector();
    viewPoint(collector, 100, 100, 0, MAX_VISIT_SPAN_MS + 1000);
    const visits = collector.visits(MAX_VISIT_SPAN_MS + 1000);
    expect(visits).toHaveLength(2);
    expect(visits.every((visit) => visit.donePageMs - visit.shownPageMs <= MAX_VISIT_SPAN_MS)).toBe(
      true,
    );
  });

  it('ignores calls that go back in time and values that are not finite', () => {
    const collector = new VisitCollector();
    collector.record(100, 100, 1000);
    collector.record(300, 300, 900);
    collector.record(Number.NaN, 100, 1100);
    collector.record(100, Number.POSITIVE_INFINITY, 1100);
    expect(collector.visits(1100)).toHaveLength(1);
  });

  it('keeps at most MAX_VISITS visits, the newest', () => {
    const collector = new VisitCollector();
    for (let index = 0; index < MAX_VISITS + 20; index++) {
      collector.record((index % 2) * 500, index, index * 10);
    }
    const visits = collector.visits(MAX_VISITS * 10 + 200);
    expect(visits).toHaveLength(MAX_VISITS);
    expect(visits.at(-1)?.yPx).toBe(MAX_VISITS + 19);
  });

  it('leaves out visits older than the server keeps samples', () => {
    const collector = new VisitCollector();
    viewPoint(collector, 100, 100, 0, 1000);
    viewPoint(collector, 500, 100, 60_000, 1000);
    const visits = collector.visits(MAX_VISIT_AGE_MS + 1);
    expect(visits.map((visit) => visit.xPx)).toEqual([500]);
  });

  it('reports whether calls came since it was last asked, and forgets everything on clear', () => {
    const collector = new VisitCollector();
    expect(collector.takeChanged()).toBe(false);
    collector.record(1, 1, 0);
    expect(collector.takeChanged()).toBe(true);
    expect(collector.takeChanged()).toBe(false);
    collector.clear();
    expect(collector.visits(0)).toEqual([]);
  });
});
