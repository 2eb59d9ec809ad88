import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { describeGeometry } from '../../calibration/screen';
import { fitAwaitingDecision } from '../../calibration/state';
import { loadedSummary } from '../../calibration/verdict';
import { formatDeg } from './format';
import { useStartProcedure } from './useStartProcedure';

/** What became of the calibration saved in this browser, with the way out when it does not fit. */
export function SavedCalibrationStatus() {
  const controller = useCalibrationController();
  const status = useCalibrationState((state) => state.savedStatus);
  const saved = useCalibrationState((state) => state.saved);
  const validated = useCalibrationState((state) => state.validation !== null);
  const newFitNotUsed = useCalibrationState((state) => fitAwaitingDecision(state) !== null);
  const start = useStartProcedure();
  const savedOn =
    saved === null
      ? ''
      : new Date(saved.savedAtMs).toLocaleString(undefined, {
          dateStyle: 'medium',
          timeStyle: 'short',
        });
  let text: string;
  let offerRecalibration = false;
  // The new fit did not work: say which calibration this line is about, so no one takes it
  // for the new one.
  const previous = newFitNotUsed && (status === 'loaded' || status === 'saved');
  switch (previous ? 'previous' : status) {
    case 'previous':
      text = `The new calibration is not in use: the one saved on ${savedOn} stays in use.`;
      break;
    case 'none':
      text = 'No saved calibration yet: once you calibrate, this browser keeps it for next time.';
      break;
    case 'loading':
      text = 'Loading the calibration saved in this browser…';
      break;
    case 'loaded':
      text = validated
        ? `Using the calibration saved on ${savedOn}: its validation is below.`
        : loadedSummary(
            savedOn,
            saved?.meanOffsetDeg == null ? null : formatDeg(saved.meanOffsetDeg),
            saved?.quality ?? null,
          );
      break;
    case 'saved':
      text =
        saved?.quality === 'poor'
          ? 'In use although rated poor, and saved in this browser: it loads by itself next time. Recalibrate when you can.'
          : 'Calibration saved in this browser: it loads by itself next time.';
      break;
    case 'unsaved':
      text =
        'This browser did not let the page store the calibration (private mode?): it lasts for this session only.';
      break;
    case 'screen_changed': {
      const current = controller.currentScreen();
      text = `The screen changed: the saved calibration was made for ${
        saved === null ? 'another screen' : describeGeometry(saved.screen)
      }, this window is ${current === undefined ? 'unknown' : describeGeometry(current)}. Recalibrate, or make the window that size again (full screen).`;
      offerRecalibration = true;
      break;
    }
    case 'refused':
      text = 'The server did not accept the saved calibration: please recalibrate.';
      offerRecalibration = true;
      break;
  }
  return (
    <div
      className={`saved-status saved-status-${status}${
        saved?.quality === 'poor' && (status === 'saved' || status === 'loaded')
          ? ' saved-status-poor'
          : ''
      }`}
      data-testid="saved-calibration"
      data-state={status}
      data-quality={saved?.quality ?? 'unknown'}
      role="status"
    >
      <p>{text}</p>
      {(offerRecalibration || status === 'loaded') && (
        <div className="button-row">
          {offerRecalibration && (
            <button
              type="button"
              className="button button-primary"
              onClick={() => start('calibration')}
            >
              Recalibrate now
            </button>
          )}
          {saved !== null && (
            <button
              type="button"
              className="button button-quiet"
              onClick={() => controller.forgetSaved()}
            >
              Forget saved calibration
            </button>
          )}
        </div>
      )}
    </div>
  );
}
