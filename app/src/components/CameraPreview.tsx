import { useAppState } from '../store/react';
import { StreamVideo } from './StreamVideo';
import { useVideoAspectRatio } from './useVideoAspectRatio';

export function CameraPreview() {
  const stream = useAppState((state) => state.camera.stream);
  const mirrored = useAppState((state) => state.view.mirrored);
  const aspectRatio = useVideoAspectRatio();
  return (
    <div className={`preview${mirrored ? ' mirrored' : ''}`} style={{ aspectRatio }}>
      <StreamVideo stream={stream} className="preview-video" label="Your camera" />
    </div>
  );
}
