import { useEffect, useRef, type RefObject } from 'react';
import { drawOverlay } from '../overlay/draw';
import {
  containPlacement,
  frameToElement,
  overlayShapes,
  type OverlayShapes,
} from '../overlay/geometry';
import type { SampleMessage } from 'gazertc-client/protocol';
import { useAppStore, useController } from '../store/react';

/**
 * The overlay over the local video. It draws outside React's render cycle: a store subscription
 * schedules one animation frame per new sample, so 30 samples a second cost no re-render.
 */
export function OverlayCanvas({ videoRef }: { videoRef: RefObject<HTMLVideoElement | null> }) {
  const store = useAppStore();
  const controller = useController();
  const canvasRef = useRef<HTMLCanvasElement | null>(null);

  // The overlay is the app's only reader of the landmarks: the server sends them while it shows.
  useEffect(() => controller.drawLandmarks(), [controller]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const video = videoRef.current;
    const context = canvas?.getContext('2d') ?? null;
    if (canvas === null || video === null || context === null) return undefined;

    let frame: number | null = null;
    let shapesFor: SampleMessage | null | undefined;
    let shapes: OverlayShapes | null = null;
    let facesDrawn = 0;

    const draw = (): void => {
      frame = null;
      const widthPx = canvas.clientWidth;
      const heightPx = canvas.clientHeight;
      const ratio = window.devicePixelRatio || 1;
      const backingWidth = Math.round(widthPx * ratio);
      const backingHeight = Math.round(heightPx * ratio);
      if (canvas.width !== backingWidth || canvas.height !== backingHeight) {
        canvas.width = backingWidth;
        canvas.height = backingHeight;
      }
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      const sample = store.getState().live.sample;
      if (sample !== shapesFor) {
        shapesFor = sample;
        shapes = sample?.face_found === true ? overlayShapes(sample) : null;
      }
      if (shapes === null) {
        drawOverlay(context, widthPx, heightPx, null, [1, 0, 0, 1, 0, 0]);
        return;
      }
      // The local video's own size sets where it appears; the sample's frame size maps into it.
      const placement = containPlacement(
        video.videoWidth || shapes.frameWidthPx,
        video.videoHeight || shapes.frameHeightPx,
        widthPx,
        heightPx,
      );
      drawOverlay(
        context,
        widthPx,
        heightPx,
        shapes,
        frameToElement(shapes.frameWidthPx, shapes.frameHeightPx, placement),
      );
      facesDrawn += 1;
      canvas.dataset['facesDrawn'] = String(facesDrawn);
    };
    const schedule = (): void => {
      frame ??= requestAnimationFrame(draw);
    };

    const unsubscribe = store.subscribe((state, previous) => {
      if (state.live.sample !== previous.live.sample) schedule();
    });
    const resizeObserver = new ResizeObserver(schedule);
    resizeObserver.observe(canvas);
    video.addEventListener('resize', schedule);
    schedule();
    return () => {
      unsubscribe();
      resizeObserver.disconnect();
      video.removeEventListener('resize', schedule);
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [store, videoRef]);

  return (
    <canvas ref={canvasRef} className="stage-overlay" aria-hidden="true" data-testid="overlay" />
  );
}
