import { useCalibrationController, useCalibrationState } from '../../calibration/react';

/** The "Show gaze cursor" setting, shared by the calibration and dwell pages. */
export function GazeCursorToggle() {
  const controller = useCalibrationController();
  const showCursor = useCalibrationState((state) => state.settings.showGazeCursor);
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={showCursor}
        onChange={(event) => controller.updateSettings({ showGazeCursor: event.target.checked })}
      />
      Show gaze cursor
    </label>
  );
}
