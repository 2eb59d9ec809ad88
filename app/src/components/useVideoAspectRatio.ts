import { useAppState } from '../store/react';

/** The CSS aspect ratio of the granted camera picture (4 / 3 until it is known). */
export function useVideoAspectRatio(): string {
  const width = useAppState((state) => state.camera.granted?.widthPx ?? 0);
  const height = useAppState((state) => state.camera.granted?.heightPx ?? 0);
  return width > 0 && height > 0 ? `${width} / ${height}` : '4 / 3';
}
