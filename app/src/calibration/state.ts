// The calibration feature's state (its own small store, next to the app's): what the
// components show. Changed only by CalibrationController.

import type {
  CalibrationResultMessage,
  Screen,
  ValidationResultMessage,
} from 'gazertc-client/protocol';
import type { ScreenPx } from './chart';
import { IDLE, type ProcedureState } from 'gazertc-client/calibration';
import { DEFAULT_SETTINGS, type CalibrationSettings, type SavedCalibration } from './storage';

/**
 * The saved calibration in this session. none: nothing saved; loading: sent, waiting for the
 * server; loaded: in use; saved: a new calibration was just saved; unsaved: the browser refused
 * to store it; screen_changed: it was made for another screen (or window size); refused: the
 * server did not accept it.
 */
export type SavedStatus =
  'none' | 'loading' | 'loaded' | 'saved' | 'unsaved' | 'screen_changed' | 'refused';

export interface ValidationOutcome {
  result: ValidationResultMessage;
  /** Raw gaze points recorded per target (after the settle time). */
  samples: ReadonlyMap<number, readonly ScreenPx[]>;
}

export interface CalibrationState {
  settings: CalibrationSettings;
  procedure: ProcedureState;
  /** The screen of the procedure that ran last (its targets' coordinate space). */
  procedureScreen: Screen | null;
  /** The server holds a calibration in this session. */
  calibrated: boolean;
  /** The screen that calibration was made for. */
  calibrationScreen: Screen | null;
  /** The viewport no longer matches the calibration's screen. */
  viewportChanged: boolean;
  /** The last fit in this session (null after loading a saved one). */
  fit: CalibrationResultMessage | null;
  validation: ValidationOutcome | null;
  saved: SavedCalibration | null;
  savedStatus: SavedStatus;
  /** What went wrong last, in plain words. */
  problem: string | null;
}

export function initialCalibrationState(
  settings: CalibrationSettings = DEFAULT_SETTINGS,
): CalibrationState {
  return {
    settings,
    procedure: IDLE,
    procedureScreen: null,
    calibrated: false,
    calibrationScreen: null,
    viewportChanged: false,
    fit: null,
    validation: null,
    saved: null,
    savedStatus: 'none',
    problem: null,
  };
}
