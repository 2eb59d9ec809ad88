import { useEffect, useRef, type RefObject } from 'react';

/** Shows `stream` in the video element behind `videoRef` while mounted. */
export function useStreamSource(
  videoRef: RefObject<HTMLVideoElement | null>,
  stream: MediaStream | null,
): void {
  useEffect(() => {
    const video = videoRef.current;
    if (video === null) return undefined;
    video.srcObject = stream;
    return () => {
      video.srcObject = null;
    };
  }, [videoRef, stream]);
}

interface StreamVideoProps {
  stream: MediaStream | null;
  className: string;
  label: string;
}

/** A muted, inline <video> showing a MediaStream. */
export function StreamVideo({ stream, className, label }: StreamVideoProps) {
  const videoRef = useRef<HTMLVideoElement | null>(null);
  useStreamSource(videoRef, stream);
  return (
    <video ref={videoRef} className={className} aria-label={label} autoPlay muted playsInline />
  );
}
