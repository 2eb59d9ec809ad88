// jsPsychGazertcCalibrate and jsPsychGazertcValidate: the session's own calibration and
// validation procedures (GazeClient.calibrate/validate, which draw the targets) as jsPsych
// trials. Trial data carries the server's results: the calibration's fit and verdict (a poor
// fit is used only with accept_poor_calibration) and the validation's accuracy and precision in
// degrees of visual angle, CSS px and cm, with its verdict.

import type { DistanceCount } from '../calibration/distances';
import type { ProcedureOptions } from '../calibration/runner';
import type { GazeClient } from '../client/gazeClient';
import type { CalibrationResultMessage, ValidationResultMessage } from '../protocol/types.gen';
import type { GazertcExtension } from './extension';
import { ParameterType, type JsPsychLike, type PluginInfo } from './jspsych_types';

export const PLUGIN_VERSION = '0.1.0';

/** [x, y] in percent of the viewport, from its top-left corner (as jsPsych's WebGazer plugins). */
export type PercentPoint = [number, number];

/** jsPsych's 9-point grid. */
export const CALIBRATION_POINTS: PercentPoint[] = [
  [10, 10],
  [10, 50],
  [10, 90],
  [50, 10],
  [50, 50],
  [50, 90],
  [90, 10],
  [90, 50],
  [90, 90],
];
/** 5 points between the calibration's (validation is best on targets the fit has not seen). */
export const VALIDATION_POINTS: PercentPoint[] = [
  [30, 30],
  [70, 30],
  [50, 50],
  [30, 70],
  [70, 70],
];
/** About 1 s of usable gaze after the server's 300 ms settle time. */
export const DEFAULT_TARGET_MS = 1500;

interface ProcedureTrial {
  targets: PercentPoint[];
  duration_per_target_ms: number;
  draw: boolean;
}

interface CalibrateTrial extends ProcedureTrial {
  accept_poor_calibration: boolean;
  distances: number;
}

export function targetsInViewport(
  points: readonly PercentPoint[],
  viewport: { widthPx: number; heightPx: number },
): { xPx: number; yPx: number }[] {
  return points.map(([xPercent, yPercent]) => ({
    xPx: (xPercent / 100) * viewport.widthPx,
    yPx: (yPercent / 100) * viewport.heightPx,
  }));
}

function parameters(defaultPoints: PercentPoint[]): PluginInfo['parameters'] {
  return {
    /** Target positions as [x, y] percent of the viewport. */
    targets: { type: ParameterType.COMPLEX, array: true, default: defaultPoints },
    /** How long each target is shown (the server drops its first 300 ms). */
    duration_per_target_ms: { type: ParameterType.INT, default: DEFAULT_TARGET_MS },
    /** true: the library draws the targets; false: the page draws them (onTarget). */
    draw: { type: ParameterType.BOOL, default: true },
  };
}

function extensionOf(jsPsych: JsPsychLike): GazertcExtension {
  const extension = jsPsych.extensions['gazertc'] as GazertcExtension | undefined;
  if (extension === undefined) {
    throw new Error('list jsPsychExtensionGazertc in initJsPsych({extensions: [...]})');
  }
  return extension;
}

async function runProcedure<T>(
  jsPsych: JsPsychLike,
  trial: ProcedureTrial,
  procedure: (
    client: Pick<GazeClient, 'calibrate' | 'validate'>,
    options: ProcedureOptions,
  ) => Promise<T>,
): Promise<{ result: T } | { error: string }> {
  try {
    const extension = extensionOf(jsPsych);
    await extension.start();
    const targets = targetsInViewport(trial.targets, {
      widthPx: window.innerWidth,
      heightPx: window.innerHeight,
    });
    return {
      result: await procedure(extension.client, {
        targets,
        draw: trial.draw,
        durationPerTargetMs: trial.duration_per_target_ms,
      }),
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Trial data of a calibration (null fields and `calibration_error` when it failed). */
export function calibrationData(
  outcome: { result: CalibrationResultMessage } | { error: string },
): Record<string, unknown> {
  const result = 'result' in outcome ? outcome.result : null;
  return {
    calibration_mean_offset_deg: result?.mean_offset_deg ?? null,
    calibration_mean_offset_px: result?.mean_offset_px ?? null,
    calibration_mean_offset_cm: result?.mean_offset_cm ?? null,
    calibration_samples_used: result?.samples_used ?? null,
    calibration_samples_dropped: result?.samples_dropped ?? null,
    viewing_distance_mm: result?.viewing_distance_mm ?? null,
    calibration_targets: result?.targets ?? [],
    calibration_quality: result?.quality ?? null,
    calibration_quality_reason: result?.quality_reason ?? null,
    calibration_applied: result?.applied ?? false,
    calibration_loto_error_deg: result?.loto_error_deg ?? null,
    calibration_loto_error_px: result?.loto_error_px ?? null,
    calibration_error: 'error' in outcome ? outcome.error : null,
  };
}

/** Trial data of a validation (null fields and `validation_error` when it failed). */
export function validationData(
  outcome: { result: ValidationResultMessage } | { error: string },
): Record<string, unknown> {
  const result = 'result' in outcome ? outcome.result : null;
  return {
    accuracy_deg: result?.accuracy_deg ?? null,
    accuracy_px: result?.accuracy_px ?? null,
    accuracy_cm: result?.accuracy_cm ?? null,
    precision_deg: result?.precision_deg ?? null,
    precision_px: result?.precision_px ?? null,
    viewing_distance_mm: result?.viewing_distance_mm ?? null,
    screen_size_estimated: result?.screen_size_estimated ?? null,
    validation_targets: result?.targets ?? [],
    validation_quality: result?.quality ?? null,
    validation_quality_reason: result?.quality_reason ?? null,
    validation_error: 'error' in outcome ? outcome.error : null,
  };
}

const CALIBRATION_DATA: PluginInfo['data'] = {
  calibration_mean_offset_deg: { type: ParameterType.FLOAT },
  calibration_mean_offset_px: { type: ParameterType.FLOAT },
  calibration_mean_offset_cm: { type: ParameterType.FLOAT },
  calibration_samples_used: { type: ParameterType.INT },
  calibration_samples_dropped: { type: ParameterType.INT },
  viewing_distance_mm: { type: ParameterType.FLOAT },
  calibration_targets: { type: ParameterType.COMPLEX, array: true },
  /** The server's verdict: good, fair or poor. */
  calibration_quality: { type: ParameterType.STRING },
  calibration_quality_reason: { type: ParameterType.STRING },
  /** Whether the session now uses this fit (false: poor and not accepted, no gaze points from it). */
  calibration_applied: { type: ParameterType.BOOL },
  /** Mean leave-one-target-out error: each target position predicted by a fit made without it. */
  calibration_loto_error_deg: { type: ParameterType.FLOAT },
  calibration_loto_error_px: { type: ParameterType.FLOAT },
  calibration_error: { type: ParameterType.STRING },
};

const VALIDATION_DATA: PluginInfo['data'] = {
  accuracy_deg: { type: ParameterType.FLOAT },
  accuracy_px: { type: ParameterType.FLOAT },
  accuracy_cm: { type: ParameterType.FLOAT },
  precision_deg: { type: ParameterType.FLOAT },
  precision_px: { type: ParameterType.FLOAT },
  viewing_distance_mm: { type: ParameterType.FLOAT },
  screen_size_estimated: { type: ParameterType.BOOL },
  validation_targets: { type: ParameterType.COMPLEX, array: true },
  validation_quality: { type: ParameterType.STRING },
  validation_quality_reason: { type: ParameterType.STRING },
  validation_error: { type: ParameterType.STRING },
};

export class GazertcCalibratePlugin {
  static readonly info: PluginInfo = {
    name: 'gazertc-calibrate',
    version: PLUGIN_VERSION,
    parameters: {
      ...parameters(CALIBRATION_POINTS),
      /**
       * Use the fit even when the server judges it poor (the verdict stays in the data). Default
       * false: a poor fit is not used, and later trials get no gaze points from it.
       */
      accept_poor_calibration: { type: ParameterType.BOOL, default: false },
      /**
       * 1, or 3: the targets again while the participant leans in, then leans back (an
       * instruction and a 3 s pause before each), one fit over all; it keeps the error low
       * when the head later moves nearer or farther (a SIMULATION, docs/rendered-eyes.md).
       */
      distances: { type: ParameterType.INT, default: 1 },
    },
    data: CALIBRATION_DATA,
  };

  constructor(private readonly jsPsych: JsPsychLike) {}

  async trial(
    displayElement: HTMLElement,
    trial: CalibrateTrial,
  ): Promise<Record<string, unknown>> {
    displayElement.replaceChildren();
    const outcome = await runProcedure(this.jsPsych, trial, (client, options) =>
      client.calibrate({
        ...options,
        acceptPoor: trial.accept_poor_calibration,
        // Any count but 1 or 3 is refused by the runner, with a message in the trial data.
        distances: trial.distances as DistanceCount,
      }),
    );
    return calibrationData(outcome);
  }
}

export class GazertcValidatePlugin {
  static readonly info: PluginInfo = {
    name: 'gazertc-validate',
    version: PLUGIN_VERSION,
    parameters: parameters(VALIDATION_POINTS),
    data: VALIDATION_DATA,
  };

  constructor(private readonly jsPsych: JsPsychLike) {}

  async trial(
    displayElement: HTMLElement,
    trial: ProcedureTrial,
  ): Promise<Record<string, unknown>> {
    displayElement.replaceChildren();
    const outcome = await runProcedure(this.jsPsych, trial, (client, options) =>
      client.validate(options),
    );
    return validationData(outcome);
  }
}
