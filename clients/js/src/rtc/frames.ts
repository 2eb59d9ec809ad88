// Video over the WebSocket fallback: the camera drawn into a canvas, JPEG-encoded and sent as one
// binary message per frame, prefixed with its capture time (docs/browser-library.md, "Fallback").

/** The server's pipeline works on 640x480; larger frames only cost bandwidth. */
export const MAX_FRAME_WIDTH_PX = 640;
export const MAX_FRAME_HEIGHT_PX = 480;
/** JPEG quality: iris edges survive, a frame stays around 30-60 kB. */
export const JPEG_QUALITY = 0.8;
/** The server's usual processing rate: more frames would only be dropped there. */
export const MAX_FRAME_RATE_FPS = 25;
/** Frames encoding or queued in the socket; past this the network is the bottleneck: skip. */
export const MAX_FRAMES_IN_FLIGHT = 2;
/** Bytes of the capture-time prefix (unsigned 64-bit big-endian Unix microseconds). */
export const CAPTURE_TIME_BYTES = 8;

/** The frame message: capture time (Unix µs, 0 = unknown) then the JPEG bytes. */
export function encodeFrameMessage(captureUnixUs: number, jpeg: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(CAPTURE_TIME_BYTES + jpeg.byteLength);
  const time = Number.isFinite(captureUnixUs) && captureUnixUs > 0 ? Math.round(captureUnixUs) : 0;
  new DataView(buffer).setBigUint64(0, BigInt(time), false);
  new Uint8Array(buffer, CAPTURE_TIME_BYTES).set(jpeg);
  return buffer;
}

/** The largest size within the bounds with the frame's aspect ratio (never enlarged). */
export function fitWithin(
  widthPx: number,
  heightPx: number,
  maxWidthPx = MAX_FRAME_WIDTH_PX,
  maxHeightPx = MAX_FRAME_HEIGHT_PX,
): { widthPx: number; heightPx: number } {
  if (!(widthPx > 0 && heightPx > 0)) return { widthPx: 0, heightPx: 0 };
  const scale = Math.min(1, maxWidthPx / widthPx, maxHeightPx / heightPx);
  return {
    widthPx: Math.max(1, Math.round(widthPx * scale)),
    heightPx: Math.max(1, Math.round(heightPx * scale)),
  };
}

/**
 * Lets frames through at no more than `maxFps` on average: a 30 fps camera gives 25 fps, not
 * every other frame (15 fps); after a pause at most one frame goes early, no burst to catch up.
 */
export class FramePacer {
  private dueAtMs: number | null = null;
  private readonly intervalMs: number;

  constructor(maxFps: number = MAX_FRAME_RATE_FPS) {
    if (!(maxFps > 0)) throw new RangeError(`the frame rate must be positive, got ${maxFps}`);
    this.intervalMs = 1000 / maxFps;
  }

  /** Whether the frame at `frameTimeMs` goes out (and, if so, counts). */
  admit(frameTimeMs: number): boolean {
    if (this.dueAtMs !== null && frameTimeMs < this.dueAtMs) return false;
    const due = this.dueAtMs ?? frameTimeMs;
    this.dueAtMs = Math.max(due + this.intervalMs, frameTimeMs);
    return true;
  }

  reset(): void {
    this.dueAtMs = null;
  }
}

/** Where frames go: a WebSocket in practice. */
export interface FrameSink {
  readonly bufferedAmount: number;
  isOpen(): boolean;
  send(data: ArrayBuffer): void;
}

/** A frame made ready for sending: the JPEG, or null when the video has no picture yet. */
export type EncodeFrame = (source: HTMLVideoElement) => Promise<Uint8Array | null>;

/** Draws the video into a canvas no larger than 640x480 and encodes it as JPEG. */
export function canvasJpegEncoder(): EncodeFrame {
  let canvas: OffscreenCanvas | HTMLCanvasElement | null = null;
  return async (video) => {
    const size = fitWithin(video.videoWidth, video.videoHeight);
    if (size.widthPx === 0) return null;
    canvas ??=
      typeof OffscreenCanvas === 'function'
        ? new OffscreenCanvas(size.widthPx, size.heightPx)
        : document.createElement('canvas');
    // A const: the narrowing below holds inside the toBlob callback.
    const surface = canvas;
    if (surface.width !== size.widthPx) surface.width = size.widthPx;
    if (surface.height !== size.heightPx) surface.height = size.heightPx;
    const context = surface.getContext('2d');
    if (context === null) return null;
    context.drawImage(video, 0, 0, size.widthPx, size.heightPx);
    const blob =
      surface instanceof HTMLCanvasElement
        ? await new Promise<Blob | null>((resolve) => {
            surface.toBlob(resolve, 'image/jpeg', JPEG_QUALITY);
          })
        : await surface.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY });
    return blob === null ? null : new Uint8Array(await blob.arrayBuffer());
  };
}

export interface FrameSenderOptions {
  encode?: EncodeFrame;
  maxFps?: number;
}

/**
 * Sends the camera's frames to `sink` while running. Frames are timed by the browser's
 * requestVideoFrameCallback (the frame's capture time when the browser knows it) or, where that
 * is missing, by a timer at the frame-rate cap.
 */
export class FrameSender {
  private readonly video: HTMLVideoElement;
  private readonly encode: EncodeFrame;
  private readonly pacer: FramePacer;
  private readonly intervalMs: number;
  private running = false;
  private stopped = false;
  private encoding = 0;
  private lastFrameBytes = 0;
  private frameCallback: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    stream: MediaStream,
    private readonly sink: FrameSink,
    options: FrameSenderOptions = {},
  ) {
    this.encode = options.encode ?? canvasJpegEncoder();
    this.pacer = new FramePacer(options.maxFps ?? MAX_FRAME_RATE_FPS);
    this.intervalMs = 1000 / (options.maxFps ?? MAX_FRAME_RATE_FPS);
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = stream;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.pacer.reset();
    // play() rejects when the video is paused again at once; the next start plays it again.
    void this.video.play().catch(() => undefined);
    if (typeof this.video.requestVideoFrameCallback === 'function') {
      this.frameCallback = this.video.requestVideoFrameCallback(this.onVideoFrame);
    } else {
      this.timer = setInterval(() => this.offer(performance.now()), this.intervalMs);
    }
  }

  pause(): void {
    if (!this.running) return;
    this.running = false;
    if (this.frameCallback !== null) this.video.cancelVideoFrameCallback(this.frameCallback);
    if (this.timer !== null) clearInterval(this.timer);
    this.frameCallback = null;
    this.timer = null;
    this.video.pause();
  }

  /** For good: the video element lets go of the stream. Idempotent. */
  stop(): void {
    this.pause();
    this.stopped = true;
    this.video.srcObject = null;
  }

  private readonly onVideoFrame = (
    nowMs: DOMHighResTimeStamp,
    metadata: VideoFrameCallbackMetadata,
  ): void => {
    if (!this.running) return;
    this.frameCallback = this.video.requestVideoFrameCallback(this.onVideoFrame);
    this.offer(metadata.captureTime ?? nowMs);
  };

  /** One frame, captured at `frameTimeMs` on the page's clock, unless the link is saturated. */
  private offer(frameTimeMs: number): void {
    if (!this.sink.isOpen()) return;
    const queued =
      this.lastFrameBytes > 0 ? Math.ceil(this.sink.bufferedAmount / this.lastFrameBytes) : 0;
    if (this.encoding + queued >= MAX_FRAMES_IN_FLIGHT) return;
    if (!this.pacer.admit(frameTimeMs)) return;
    const captureUnixUs = (performance.timeOrigin + frameTimeMs) * 1000;
    this.encoding += 1;
    void this.encode(this.video)
      .then((jpeg) => {
        if (jpeg === null || !this.running || !this.sink.isOpen()) return;
        const message = encodeFrameMessage(captureUnixUs, jpeg);
        this.lastFrameBytes = message.byteLength;
        this.sink.send(message);
      })
      .catch((error: unknown) => {
        // A frame that cannot be encoded (e.g. the camera went away mid-frame) is skipped.
        console.warn('gazertc: a camera frame could not be encoded', error);
      })
      .finally(() => {
        this.encoding -= 1;
      });
  }
}
