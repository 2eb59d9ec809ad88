// The server's verdict on a calibration or validation, in words for the person calibrating:
// a title that says plainly whether it worked, the server's reason, and what to do. Pure; drawn
// by components/calibration/QualityVerdict.tsx.

import type {
  CalibrationQuality,
  CalibrationResultMessage,
  ValidationResultMessage,
} from 'gazertc-client/protocol';

/** What most often makes a webcam calibration fail, as things to do. */
export const CALIBRATION_ADVICE: readonly string[] = [
  'Have more light in front of you (a lamp or window behind the screen, not behind you).',
  'Sit 50–70 cm from the screen, your face in the middle of the camera picture.',
  'Hold your head still and move only your eyes.',
  'Look at each dot until it disappears.',
];

/** good: green; fair: amber; poor: red. A result without a verdict is shown as fair. */
export type VerdictTone = CalibrationQuality;

export interface Verdict {
  tone: VerdictTone;
  /** One plain sentence: did it work. */
  title: string;
  /** The server's reason (quality_reason). */
  reason: string;
  /** What this means for the user now, or null. */
  note: string | null;
  /** Advice for a better try (empty when it went well). */
  advice: readonly string[];
}

/**
 * The verdict on a calibration result. `previousInUse`: an earlier calibration is still applied
 * (a poor fit that is not applied leaves it in place).
 */
export function calibrationVerdict(fit: CalibrationResultMessage, previousInUse: boolean): Verdict {
  const reason = fit.quality_reason;
  if (!fit.applied) {
    return {
      tone: 'poor',
      title: 'Calibration did not work',
      reason,
      note: `It is not in use and was not saved${
        previousInUse ? '; your previous calibration stays in use' : ''
      }. Try again, or use it anyway if you know it is roughly right.`,
      advice: CALIBRATION_ADVICE,
    };
  }
  switch (fit.quality) {
    case 'good':
      return { tone: 'good', title: 'Calibration worked well', reason, note: null, advice: [] };
    case 'fair':
      return {
        tone: 'fair',
        title: 'Calibration is usable, with a larger error',
        reason,
        note: 'Gaze points may land a little off. Validate to measure it, or try again for a better fit.',
        advice: CALIBRATION_ADVICE,
      };
    case 'poor':
      return {
        tone: 'poor',
        title: 'In use although it did not work well (rated poor)',
        reason,
        note: 'You chose to use it: expect gaze points far from where you look. Try again when you can.',
        advice: CALIBRATION_ADVICE,
      };
    case null:
      return {
        tone: 'fair',
        title: 'Calibration in use, not rated',
        reason,
        note: 'Validate it to measure how accurate it is.',
        advice: [],
      };
  }
}

export function validationVerdict(result: ValidationResultMessage): Verdict {
  const reason = result.quality_reason;
  switch (result.quality) {
    case 'good':
      return { tone: 'good', title: 'Validation: good accuracy', reason, note: null, advice: [] };
    case 'fair':
      return {
        tone: 'fair',
        title: 'Validation: fair accuracy',
        reason,
        note: 'Usable for large targets; recalibrate for better accuracy.',
        advice: CALIBRATION_ADVICE,
      };
    case 'poor':
      return {
        tone: 'poor',
        title: 'Validation: the calibration does not work well',
        reason,
        note: 'Gaze points are far from where you look: recalibrate.',
        advice: CALIBRATION_ADVICE,
      };
  }
}

/** The saved calibration's line once loaded: it has no verdict in this session. */
export function loadedSummary(
  savedOn: string,
  meanOffsetDeg: string | null,
  quality: CalibrationQuality | null,
): string {
  const details = [
    ...(meanOffsetDeg === null ? [] : [`fit offset ${meanOffsetDeg}`]),
    ...(quality === null ? [] : [`rated ${quality} when made`]),
  ];
  const about = details.length === 0 ? '' : ` (${details.join(', ')})`;
  return `Loaded the calibration saved on ${savedOn}${about}, not validated in this session: validate it to measure its accuracy.`;
}
