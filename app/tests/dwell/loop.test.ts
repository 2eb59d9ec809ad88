// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { DwellLoop, longDwellMs, type DwellTrigger } from '../../src/dwell/loop';

const FRAME_MS = 33;
const DWELL_MS = 600;

/** A button laid out at the given box (jsdom has no layout). */
function target(left: number, top: number, width: number, height: number): HTMLElement {
  const element = document.createElement('button');
  element.getBoundingClientRect = () => DOMRect.fromRect({ x: left, y: top, width, height });
  document.body.append(element);
  return element;
}

function setUp() {
  let nowMs = 0;
  const triggers: DwellTrigger[] = [];
  const loop = new DwellLoop({ dwellMs: DWELL_MS, now: () => nowMs });
  loop.setTriggerHandler((trigger) => triggers.push(trigger));
  const yes = target(0, 0, 300, 200);
  const no = target(324, 0, 300, 200);
  const pause = target(0, 400, 300, 100);
  loop.register('yes', yes, { kind: 'normal', whilePaused: false, priority: 0 });
  loop.register('no', no, { kind: 'normal', whilePaused: false, priority: 0 });
  loop.register('pause', pause, { kind: 'normal', whilePaused: true, priority: 1 });
  /** Gaze at (x, y) for `durationMs` at 30 Hz. */
  const look = (xPx: number, yPx: number, durationMs: number): void => {
    for (let elapsed = 0; elapsed < durationMs; elapsed += FRAME_MS) {
      nowMs += FRAME_MS;
      loop.update({ xPx, yPx });
    }
  };
  return { loop, triggers, yes, no, pause, look, now: () => nowMs };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the dwell loop', () => {
  it('chooses a target from a near miss, with its centre and the look times', () => {
    const { triggers, yes, look, now } = setUp();
    // 10 px right of Yes, in the gap: snapped to Yes.
    look(310, 20, DWELL_MS / 2);
    expect(yes.dataset['dwell']).toBe('active');
    expect(Number(yes.style.getPropertyValue('--dwell-progress'))).toBeGreaterThan(0.3);
    look(310, 20, DWELL_MS);
    expect(triggers).toHaveLength(1);
    const [trigger] = triggers;
    expect(trigger?.id).toBe('yes');
    expect(trigger?.centre).toEqual({ xPx: 150, yPx: 100 });
    expect(trigger?.startMs).toBe(FRAME_MS);
    expect((trigger?.endMs ?? 0) - (trigger?.startMs ?? 0)).toBeGreaterThanOrEqual(DWELL_MS);
    expect(trigger?.endMs).toBeLessThanOrEqual(now());
    expect(yes.dataset['triggered']).toBe('true');
  });

  it('draws the cursor at the snapped centre, or the raw gaze away from targets', () => {
    const { loop, look } = setUp();
    const cursor = document.createElement('div');
    loop.setCursor(cursor);
    look(310, 20, FRAME_MS);
    expect(cursor.style.transform).toBe('translate(150px, 100px)');
    expect(cursor.dataset['snapped']).toBe('true');
    look(900, 700, FRAME_MS);
    expect(cursor.style.transform).toBe('translate(900px, 700px)');
    expect(cursor.dataset['snapped']).toBe('false');
    loop.update(null);
    expect(cursor.dataset['visible']).toBe('false');
  });

  it('while paused only the resume zone responds, after the long dwell', () => {
    const { loop, triggers, yes, pause, look } = setUp();
    loop.setMode('paused');
    look(150, 100, 3000);
    expect(triggers).toEqual([]);
    expect(yes.dataset['dwell']).toBe('none');
    // The pause zone takes the long dwell only when registered as such (as Resume is).
    loop.register('pause', pause, {
      kind: 'long',
      whilePaused: true,
      priority: 1,
    });
    look(150, 450, DWELL_MS + 100);
    expect(triggers).toEqual([]);
    look(150, 450, longDwellMs(DWELL_MS));
    expect(triggers.map((trigger) => trigger.id)).toEqual(['pause']);
  });

  it('a look that paused must leave the zone before it can resume', () => {
    const { loop, triggers, look } = setUp();
    look(150, 450, DWELL_MS + 100);
    expect(triggers.map((trigger) => trigger.id)).toEqual(['pause']);
    loop.setMode('paused');
    look(150, 450, 3 * longDwellMs(DWELL_MS));
    expect(triggers).toHaveLength(1);
    look(900, 900, 500);
    look(150, 450, longDwellMs(DWELL_MS) + 100);
    expect(triggers.map((trigger) => trigger.id)).toEqual(['pause', 'pause']);
  });

  it('does nothing while off (the board is being edited) and undraws', () => {
    const { loop, triggers, yes, look } = setUp();
    look(150, 100, DWELL_MS / 2);
    loop.setMode('off');
    expect(yes.style.getPropertyValue('--dwell-progress')).toBe('0');
    look(150, 100, 2000);
    expect(triggers).toEqual([]);
    loop.setMode('active');
    look(150, 100, DWELL_MS + 100);
    expect(triggers.map((trigger) => trigger.id)).toEqual(['yes']);
  });

  it('ranks the board before controls when equally near, and forgets unregistered targets', () => {
    const { loop, triggers, look } = setUp();
    const overlapping = target(0, 0, 300, 200);
    const cleanup = loop.register('control', overlapping, {
      kind: 'normal',
      whilePaused: false,
      priority: 1,
    });
    look(150, 100, DWELL_MS + 100);
    expect(triggers.map((trigger) => trigger.id)).toEqual(['yes']);
    cleanup();
    expect(overlapping.dataset['dwell']).toBe('none');
  });

  it('with reduced motion moves the fill in quarter steps', () => {
    const { loop, yes, look } = setUp();
    loop.setReducedMotion(true);
    const seen = new Set<string>();
    for (let frame = 0; frame < 15; frame += 1) {
      look(150, 100, FRAME_MS);
      seen.add(yes.style.getPropertyValue('--dwell-progress'));
    }
    expect([...seen].every((value) => ['0', '0.25', '0.5', '0.75'].includes(value))).toBe(true);
    expect(seen.size).toBeGreaterThan(2);
  });
});
