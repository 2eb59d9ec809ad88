// The saved calibration and the calibration settings in localStorage. Whatever comes back out is
// checked (against the protocol schema for the model): storage is user-editable and may hold
// data of an older app.

import type {
  CalibrationModel,
  CalibrationQuality,
  CalibrationResultMessage,
  Screen,
  ProtocolValidator,
} from 'gazertc-client/protocol';
import {
  isTargetCount,
  type TargetCount,
  type AdvanceMode,
  isDistanceCount,
  type DistanceCount,
} from 'gazertc-client/calibration';

export const SAVED_CALIBRATION_KEY = 'gazertc.calibration.v1';
export const SETTINGS_KEY = 'gazertc.calibration-settings.v1';

/** What the app keeps of a calibration: the server's model and the screen it was made for. */
export interface SavedCalibration {
  model: CalibrationModel;
  screen: Screen;
  savedAtMs: number;
  /** The fit's mean offset when it was made (degrees), for the summary. */
  meanOffsetDeg: number | null;
  /** The server's verdict when it was made (poor: the user chose to use it anyway); null: unknown. */
  quality: CalibrationQuality | null;
}

/**
 * What to keep of a calibration result: only one the session applied (a poor fit waits for the
 * user's decision and is never kept unless accepted), and only a fit or an accepted fit (a load
 * is already saved).
 */
export function savedFromResult(
  result: CalibrationResultMessage,
  savedAtMs: number,
): SavedCalibration | null {
  if (!result.applied || result.source === 'load') return null;
  return {
    model: result.model,
    screen: result.model.screen,
    savedAtMs,
    meanOffsetDeg: result.mean_offset_deg,
    quality: result.quality,
  };
}

export interface CalibrationSettings {
  targetCount: TargetCount;
  /** The targets at the usual distance only (1), or again leaning in and leaning back (3). */
  distances: DistanceCount;
  mode: AdvanceMode;
  /** Usable gaze per target, ms (after the settle time). */
  targetMs: number;
  fullscreen: boolean;
  showGazeCursor: boolean;
  /** From the card check; null: the server estimates the physical size. */
  mmPerCssPx: number | null;
  /** Dwell page: how long a look triggers a button. */
  dwellMs: number;
}

export const TARGET_MS_CHOICES = [600, 1000, 1200, 1500, 2000] as const;
export const DWELL_MS_CHOICES = [600, 800, 1000, 1500, 2000, 3000] as const;

export const DEFAULT_SETTINGS: CalibrationSettings = {
  targetCount: 9,
  distances: 1,
  mode: 'key',
  targetMs: 1200,
  fullscreen: true,
  showGazeCursor: true,
  mmPerCssPx: null,
  dwellMs: 1000,
};

/** The part of `Storage` used here (so tests can pass a Map-backed one). */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function readJson(storage: KeyValueStorage, key: string): unknown {
  try {
    const text = storage.getItem(key);
    return text === null ? null : (JSON.parse(text) as unknown);
  } catch {
    // Unreadable (storage disabled, or not JSON): as if nothing was saved.
    return null;
  }
}

/** Store `value`; false when the browser refuses (private mode, quota). */
function writeJson(storage: KeyValueStorage, key: string, value: unknown): boolean {
  try {
    storage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isQuality(value: unknown): value is CalibrationQuality {
  return value === 'good' || value === 'fair' || value === 'poor';
}

export function loadSavedCalibration(
  storage: KeyValueStorage,
  validator: ProtocolValidator,
): SavedCalibration | null {
  const value = readJson(storage, SAVED_CALIBRATION_KEY);
  if (!isRecord(value)) return null;
  const { model, screen, savedAtMs, meanOffsetDeg, quality } = value;
  if (!validator.isValid('calibration_model', model) || !validator.isValid('screen', screen)) {
    return null;
  }
  if (typeof savedAtMs !== 'number') return null;
  return {
    model,
    screen,
    savedAtMs,
    meanOffsetDeg: typeof meanOffsetDeg === 'number' ? meanOffsetDeg : null,
    quality: isQuality(quality) ? quality : null,
  };
}

export function saveCalibration(storage: KeyValueStorage, saved: SavedCalibration): boolean {
  return writeJson(storage, SAVED_CALIBRATION_KEY, saved);
}

export function forgetCalibration(storage: KeyValueStorage): void {
  try {
    storage.removeItem(SAVED_CALIBRATION_KEY);
  } catch {
    // Storage disabled: nothing was saved either.
  }
}

function pick<T>(value: unknown, ok: (candidate: unknown) => candidate is T, fallback: T): T {
  return ok(value) ? value : fallback;
}

const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isPositive = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;
const isMode = (value: unknown): value is AdvanceMode => value === 'key' || value === 'dwell';
const isScale = (value: unknown): value is number | null => value === null || isPositive(value);
const isTargetMs = (value: unknown): value is number =>
  isPositive(value) && value >= 200 && value <= 10_000;
const isDwellMs = (value: unknown): value is number =>
  isPositive(value) && value >= 200 && value <= 10_000;

/** The settings saved earlier, each field checked; defaults for what is missing or malformed. */
export function loadSettings(storage: KeyValueStorage): CalibrationSettings {
  const value = readJson(storage, SETTINGS_KEY);
  if (!isRecord(value)) return DEFAULT_SETTINGS;
  return {
    targetCount: pick<TargetCount>(
      value['targetCount'],
      isTargetCount,
      DEFAULT_SETTINGS.targetCount,
    ),
    distances: pick<DistanceCount>(value['distances'], isDistanceCount, DEFAULT_SETTINGS.distances),
    mode: pick(value['mode'], isMode, DEFAULT_SETTINGS.mode),
    targetMs: pick(value['targetMs'], isTargetMs, DEFAULT_SETTINGS.targetMs),
    fullscreen: pick(value['fullscreen'], isBoolean, DEFAULT_SETTINGS.fullscreen),
    showGazeCursor: pick(value['showGazeCursor'], isBoolean, DEFAULT_SETTINGS.showGazeCursor),
    mmPerCssPx: pick(value['mmPerCssPx'], isScale, DEFAULT_SETTINGS.mmPerCssPx),
    dwellMs: pick(value['dwellMs'], isDwellMs, DEFAULT_SETTINGS.dwellMs),
  };
}

export function saveSettings(storage: KeyValueStorage, settings: CalibrationSettings): boolean {
  return writeJson(storage, SETTINGS_KEY, settings);
}
