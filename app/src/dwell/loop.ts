// The dwell loop between the gaze samples and the page's targets, outside React: each sample is
// snapped to the nearest target (src/board/snapping.ts), folded into a DwellTracker, and drawn
// straight onto the elements (the fill's --dwell-progress, the snapped gaze cursor), so samples
// never re-render anything; only a trigger calls back into the page.

import { snapToTarget, targetCentre, type ScreenPoint } from '../board/snapping';
import { DwellTracker, type DwellRegion } from './dwell';

/**
 * normal: chosen after the dwell time. long: a control whose accidental use costs more (Resume,
 * Recalibrate), chosen after `longDwellMs`.
 */
export type DwellKind = 'normal' | 'long';

export interface DwellTargetOptions {
  kind: DwellKind;
  /** Still active while paused (the Resume zone); everything else waits. */
  whilePaused: boolean;
  /** Controls come after the board's own targets when two are equally near. */
  priority: number;
}

/** paused: only `whilePaused` targets respond; off: none (while the board is edited). */
export type LoopMode = 'active' | 'paused' | 'off';

export interface DwellTrigger {
  id: string;
  /** The target's centre in viewport CSS px (the calibration's screen coordinates). */
  centre: ScreenPoint;
  /** The look's start and the trigger, on the `now` clock (ms). */
  startMs: number;
  endMs: number;
}

/**
 * Resume and Recalibrate take twice the dwell time, and never less than 2 s: a glance that rests
 * on them by chance (a person reading the board, a tired gaze) must not undo a pause or start a
 * calibration, which cost the user far more than a wrong phrase.
 */
export const MIN_LONG_DWELL_MS = 2000;
const LONG_DWELL_FACTOR = 2;

/** How long a triggered target shows that it was chosen. */
const TRIGGERED_FLASH_MS = 700;

export function longDwellMs(dwellMs: number): number {
  return Math.max(MIN_LONG_DWELL_MS, LONG_DWELL_FACTOR * dwellMs);
}

interface Registered extends DwellTargetOptions {
  element: HTMLElement;
}

export interface DwellLoopOptions {
  dwellMs: number;
  now?: () => number;
}

export class DwellLoop {
  private readonly tracker: DwellTracker;
  private readonly targets = new Map<string, Registered>();
  private dwellMs: number;
  private mode: LoopMode = 'active';
  private reducedMotion = false;
  private cursor: HTMLElement | null = null;
  private onTrigger: (trigger: DwellTrigger) => void = () => undefined;
  private readonly flashes = new Set<ReturnType<typeof setTimeout>>();
  private readonly now: () => number;

  constructor(options: DwellLoopOptions) {
    this.tracker = new DwellTracker({ dwellMs: options.dwellMs });
    this.dwellMs = options.dwellMs;
    this.now = options.now ?? (() => performance.now());
  }

  /** Make `element` a dwell target; returns the cleanup. */
  register(id: string, element: HTMLElement, options: DwellTargetOptions): () => void {
    this.targets.set(id, { element, ...options });
    return () => {
      if (this.targets.get(id)?.element === element) this.targets.delete(id);
      this.draw(element, 0, false);
    };
  }

  /** What to do when a target triggers (the page's latest handler). */
  setTriggerHandler(onTrigger: (trigger: DwellTrigger) => void): void {
    this.onTrigger = onTrigger;
  }

  setCursor(element: HTMLElement | null): void {
    this.cursor = element;
  }

  setDwellMs(dwellMs: number): void {
    this.tracker.setDwellMs(dwellMs);
    this.dwellMs = dwellMs;
  }

  /**
   * Between active and paused the look in progress carries on where its target stays active: the
   * zone that paused (now Resume) must be looked away from before it can resume.
   */
  setMode(mode: LoopMode): void {
    if (mode === this.mode) return;
    const wasOff = this.mode === 'off';
    this.mode = mode;
    if (mode === 'off') {
      this.tracker.pause();
      this.undraw();
    } else if (wasOff) {
      this.tracker.resume();
    }
  }

  /** Quarter steps instead of a smooth fill (prefers-reduced-motion). */
  setReducedMotion(reduced: boolean): void {
    this.reducedMotion = reduced;
  }

  /** Fold in one gaze point (viewport CSS px; null: no gaze in this sample). */
  update(point: ScreenPoint | null): void {
    const nowMs = this.now();
    const regions: DwellRegion[] = this.activeTargets().map(([id, target]) => {
      const box = target.element.getBoundingClientRect();
      const region = { id, left: box.left, top: box.top, right: box.right, bottom: box.bottom };
      return target.kind === 'long' ? { ...region, dwellMs: longDwellMs(this.dwellMs) } : region;
    });
    this.tracker.setRegions(regions);
    const snapped = point === null ? null : snapToTarget(point, regions);
    const frame = this.tracker.update(snapped?.point ?? null, nowMs);
    const shown = this.reducedMotion ? Math.floor(frame.progress * 4) / 4 : frame.progress;
    for (const [id, target] of this.targets) {
      this.draw(target.element, id === frame.regionId ? shown : 0, id === frame.regionId);
    }
    this.moveCursor(snapped?.point ?? null, (snapped?.targetId ?? null) !== null);
    const triggered = frame.triggered;
    const box = regions.find((region) => region.id === triggered);
    if (triggered !== null && box !== undefined) {
      const element = this.targets.get(triggered)?.element;
      if (element !== undefined) this.flash(element);
      this.onTrigger({
        id: triggered,
        centre: targetCentre(box),
        startMs: frame.triggeredSinceMs ?? nowMs,
        endMs: nowMs,
      });
    }
  }

  /** Stop the flashes' timers (the page is going away). */
  dispose(): void {
    for (const flash of this.flashes) clearTimeout(flash);
    this.flashes.clear();
  }

  private flash(element: HTMLElement): void {
    element.dataset['triggered'] = 'true';
    const flash = setTimeout(() => {
      this.flashes.delete(flash);
      element.dataset['triggered'] = 'false';
    }, TRIGGERED_FLASH_MS);
    this.flashes.add(flash);
  }

  private undraw(): void {
    for (const target of this.targets.values()) this.draw(target.element, 0, false);
    this.moveCursor(null);
  }

  private activeTargets(): [string, Registered][] {
    if (this.mode === 'off') return [];
    const entries = [...this.targets].filter(
      ([, target]) => this.mode === 'active' || target.whilePaused,
    );
    // Stable: equal priorities keep their registration order.
    return entries.sort(([, a], [, b]) => a.priority - b.priority);
  }

  private draw(element: HTMLElement, progress: number, active: boolean): void {
    element.style.setProperty('--dwell-progress', String(progress));
    element.dataset['dwell'] = active ? 'active' : 'none';
  }

  private moveCursor(point: ScreenPoint | null, snapped = false): void {
    const cursor = this.cursor;
    if (cursor === null) return;
    if (point === null) {
      cursor.dataset['visible'] = 'false';
      return;
    }
    cursor.dataset['visible'] = 'true';
    cursor.dataset['snapped'] = String(snapped);
    cursor.style.transform = `translate(${point.xPx}px, ${point.yPx}px)`;
  }
}
