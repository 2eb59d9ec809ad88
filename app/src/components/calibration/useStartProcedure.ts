import type { ProcedureKind } from 'gazertc-client/calibration';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';

/** Go full screen (when asked and possible), then start: the request needs the click's gesture. */
export function useStartProcedure(): (kind: ProcedureKind) => void {
  const controller = useCalibrationController();
  const fullscreen = useCalibrationState((state) => state.settings.fullscreen);
  return (kind) => {
    const root = document.documentElement;
    if (!fullscreen || document.fullscreenElement !== null || !document.fullscreenEnabled) {
      controller.start(kind);
      return;
    }
    root
      .requestFullscreen()
      .catch(() => undefined)
      // The viewport has its new size one frame after the switch.
      .then(() => new Promise((done) => requestAnimationFrame(done)))
      .then(() => controller.start(kind))
      .catch(() => undefined);
  };
}
