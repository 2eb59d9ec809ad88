// The calibration feature's state (its own small store, next to the app's): what the
// components show. Changed only by CalibrationController.

import type {
  CalibrationResultMessage,
  Screen,
  ValidationResultMessage,
} from 'gazertc-client/protocol';
import type { ScreenPx } from './chart';
import { IDLE, type ProcedureState, type DistanceCount } from 'gazertc-client/calibration';
import { DEFAULT_SETTINGS, type CalibrationSettings, type SavedCalibration } from './storage';

/**
 * The saved calibration in this session. none: nothing saved; loading: sent, waiting for the
 * server; loaded: in use (not validated in this session unless a validation says so); saved: a
 * new calibration, applied, was just saved (a poor fit is not applied, so never saved unless the
 * user accepts it); unsaved: the browser refused to store it; screen_changed: it was made for
 * another screen (or window size); refused: the server did not accept it.
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
  /** The rounds of the procedure that ran last: its targets repeated at this many distances. */
  procedureDistances: DistanceCount;
  /** The server holds a calibration in this session. */
  calibrated: boolean;
  /** The screen that calibration was made for. */
  calibrationScreen: Screen | null;
  /** The viewport no longer matches the calibration's screen. */
  viewportChanged: boolean;
  /**
   * The last fit in this session (null after loading a saved one). Not applied (`applied`
   * false): a poor fit waiting for the user to try again or use it anyway.
   */
  fit: CalibrationResultMessage | null;
  /** calibration_accept was sent for the waiting fit: the server's answer is due. */
  acceptPending: boolean;
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
    procedureDistances: 1,
    calibrated: false,
    calibrationScreen: null,
    viewportChanged: false,
    fit: null,
    acceptPending: false,
    validation: null,
    saved: null,
    savedStatus: 'none',
    problem: null,
  };
}

/** A fit the server did not apply (poor): the user decides to try again or use it anyway. */
export function fitAwaitingDecision(state: CalibrationState): CalibrationResultMessage | null {
  return state.fit !== null && !state.fit.applied ? state.fit : null;
}
