import { useId } from 'react';
import {
  REQUESTED_FRAME_RATE_FPS,
  REQUESTED_HEIGHT_PX,
  REQUESTED_WIDTH_PX,
} from 'gazertc-client/rtc';
import { useAppState, useController } from '../store/react';
import { MirrorToggle } from './MirrorToggle';

/** Which camera, what it gives, and the mirror setting. */
export function CameraSettings() {
  const controller = useController();
  const devices = useAppState((state) => state.camera.devices);
  const granted = useAppState((state) => state.camera.granted);
  const selectId = useId();

  return (
    <div className="camera-settings">
      {devices.length > 0 && (
        <div className="field">
          <label htmlFor={selectId}>Camera to use</label>
          <select
            id={selectId}
            value={granted?.deviceId ?? ''}
            onChange={(event) => void controller.startCamera(event.target.value)}
          >
            {devices.map((device) => (
              <option key={device.deviceId} value={device.deviceId}>
                {device.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {granted !== null && (
        <p className="granted" data-testid="granted-video">
          Sending{' '}
          <strong>
            {granted.widthPx}&times;{granted.heightPx}
          </strong>
          {granted.frameRateFps !== null && (
            <>
              {' '}
              at <strong>{Math.round(granted.frameRateFps)} fps</strong>
            </>
          )}
          <span className="granted-asked">
            {' '}
            (asked for {REQUESTED_WIDTH_PX}&times;{REQUESTED_HEIGHT_PX} at{' '}
            {REQUESTED_FRAME_RATE_FPS} fps)
          </span>
        </p>
      )}
      <MirrorToggle className="field field-inline" label="Mirror the picture" />
    </div>
  );
}
