// The elements WebGazer puts on the page, with its ids, so that pages and jsPsych's plugins that
// look for them find them: the camera preview (#webgazerVideoContainer holding
// #webgazerVideoFeed), the face overlay canvas (#webgazerFaceOverlay), the face feedback box
// (#webgazerFaceFeedbackBox, whose border turns green when both eyes are in the centred box:
// jsPsych's init-camera plugin waits for that), and the gaze dot (#webgazerGazeDot). Styles are
// set through the CSSOM only, so the elements work under a strict Content-Security-Policy.

import type { SampleMessage } from '../protocol/types.gen';
import type { WebgazerParams } from './params';

export type FeedbackColour = 'green' | 'red' | 'black';

/** The gaze dot's diameter, as WebGazer draws it. */
const GAZE_DOT_SIZE_PX = 10;
/** Above the page's content, as WebGazer's dot. */
const GAZE_DOT_Z_INDEX = '99999';
const LANDMARK_RADIUS_PX = 2;

/**
 * WebGazer's face check: green when both eyes lie inside the centred square of side
 * `ratio` × the frame's smaller side, red when a face is found but not there, black without a face.
 */
export function feedbackColour(sample: SampleMessage | null, ratio: number): FeedbackColour {
  if (sample === null || !sample.face_found) return 'black';
  const eyes = [sample.right_eye, sample.left_eye];
  const widthPx = sample.frame_width_px;
  const heightPx = sample.frame_height_px;
  const sidePx = Math.min(widthPx, heightPx) * ratio;
  const left = (widthPx - sidePx) / 2;
  const top = (heightPx - sidePx) / 2;
  const inside = eyes.every((eye) => {
    if (eye === null) return false;
    const [xPx, yPx] = eye.centre_px ?? [
      (eye.inner_corner_px[0] + eye.outer_corner_px[0]) / 2,
      (eye.inner_corner_px[1] + eye.outer_corner_px[1]) / 2,
    ];
    return xPx > left && xPx < left + sidePx && yPx > top && yPx < top + sidePx;
  });
  return inside ? 'green' : 'red';
}

function mirror(element: HTMLElement, mirrored: boolean): void {
  element.style.transform = mirrored ? 'scale(-1, 1)' : '';
}

/** The WebGazer elements of one begin() ... end(). */
export class WebgazerDom {
  readonly container: HTMLDivElement;
  readonly video: HTMLVideoElement;
  readonly videoCanvas: HTMLCanvasElement;
  readonly faceOverlay: HTMLCanvasElement;
  readonly feedbackBox: HTMLCanvasElement;
  readonly gazeDot: HTMLDivElement;
  private colour: FeedbackColour | null = null;
  private frameSize: { widthPx: number; heightPx: number } | null = null;

  constructor(
    private readonly params: WebgazerParams,
    private readonly document: Document,
  ) {
    this.container = document.createElement('div');
    this.container.id = params.videoContainerId;
    Object.assign(this.container.style, { position: 'fixed', top: '0px', left: '0px' });

    this.video = document.createElement('video');
    this.video.id = params.videoElementId;
    this.video.autoplay = true;
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.style.position = 'absolute';

    this.videoCanvas = document.createElement('canvas');
    this.videoCanvas.id = params.videoElementCanvasId;
    this.videoCanvas.style.display = 'none';

    this.faceOverlay = document.createElement('canvas');
    this.faceOverlay.id = params.faceOverlayId;
    Object.assign(this.faceOverlay.style, { position: 'absolute', top: '0px', left: '0px' });

    this.feedbackBox = document.createElement('canvas');
    this.feedbackBox.id = params.faceFeedbackBoxId;
    this.feedbackBox.style.position = 'absolute';
    this.feedbackBox.style.border = 'solid';

    this.gazeDot = document.createElement('div');
    this.gazeDot.id = params.gazeDotId;
    Object.assign(this.gazeDot.style, {
      position: 'fixed',
      zIndex: GAZE_DOT_Z_INDEX,
      left: `${-GAZE_DOT_SIZE_PX / 2}px`,
      top: `${-GAZE_DOT_SIZE_PX / 2}px`,
      width: `${GAZE_DOT_SIZE_PX}px`,
      height: `${GAZE_DOT_SIZE_PX}px`,
      background: 'red',
      borderRadius: '100%',
      opacity: '0.7',
      pointerEvents: 'none',
      display: 'none',
    });

    this.container.append(this.video, this.videoCanvas, this.faceOverlay, this.feedbackBox);
  }

  /** Put the elements on the page, the preview showing `stream`. */
  mount(stream: MediaStream | null): void {
    this.video.srcObject = stream;
    this.document.body.append(this.container, this.gazeDot);
    this.setViewerSize(this.params.videoViewerWidth, this.params.videoViewerHeight);
    this.applyVisibility();
  }

  unmount(): void {
    this.video.srcObject = null;
    this.container.remove();
    this.gazeDot.remove();
  }

  /** Show or hide each element as the params say (WebGazer's show* calls land here). */
  applyVisibility(): void {
    const show = (element: HTMLElement, visible: boolean): void => {
      element.style.display = visible ? 'block' : 'none';
    };
    show(this.container, this.params.showVideo);
    show(this.video, this.params.showVideo);
    show(this.faceOverlay, this.params.showFaceOverlay);
    show(this.feedbackBox, this.params.showFaceFeedbackBox);
    if (!this.params.showGazeDot) show(this.gazeDot, false);
    mirror(this.video, this.params.mirrorVideo);
    mirror(this.faceOverlay, this.params.mirrorVideo);
  }

  setViewerSize(widthPx: number, heightPx: number): void {
    this.params.videoViewerWidth = widthPx;
    this.params.videoViewerHeight = heightPx;
    for (const element of [this.container, this.video, this.faceOverlay]) {
      element.style.width = `${widthPx}px`;
      element.style.height = `${heightPx}px`;
    }
    this.placeFeedbackBox();
  }

  /** Update the face feedback box and overlay from a sample. */
  showSample(sample: SampleMessage): void {
    if (
      this.frameSize?.widthPx !== sample.frame_width_px ||
      this.frameSize.heightPx !== sample.frame_height_px
    ) {
      this.frameSize = { widthPx: sample.frame_width_px, heightPx: sample.frame_height_px };
      this.faceOverlay.width = sample.frame_width_px;
      this.faceOverlay.height = sample.frame_height_px;
      this.placeFeedbackBox();
    }
    const colour = feedbackColour(sample, this.params.faceFeedbackBoxRatio);
    // Only on change: jsPsych's init-camera plugin observes this element's style attribute.
    if (colour !== this.colour) {
      this.colour = colour;
      this.feedbackBox.style.border = `solid ${colour}`;
    }
    if (this.params.showFaceOverlay && this.params.showVideo) this.drawLandmarks(sample);
  }

  /** Move the gaze dot to a viewport point, or hide it (null). */
  moveGazeDot(point: { x: number; y: number } | null): void {
    if (point === null || !this.params.showGazeDot) {
      this.gazeDot.style.display = 'none';
      return;
    }
    this.gazeDot.style.display = 'block';
    this.gazeDot.style.transform = `translate3d(${point.x}px, ${point.y}px, 0)`;
  }

  /** WebGazer's computeValidationBoxSize: the centred square in preview px. */
  private placeFeedbackBox(): void {
    const frame = this.frameSize ?? { widthPx: 640, heightPx: 480 };
    const previewWidthPx = this.params.videoViewerWidth;
    const previewHeightPx = this.params.videoViewerHeight;
    const larger = Math.max(frame.widthPx, frame.heightPx);
    const scale =
      frame.widthPx === larger ? previewWidthPx / frame.widthPx : previewHeightPx / frame.heightPx;
    const sidePx =
      Math.min(frame.widthPx, frame.heightPx) * this.params.faceFeedbackBoxRatio * scale;
    Object.assign(this.feedbackBox.style, {
      top: `${(previewHeightPx - sidePx) / 2}px`,
      left: `${(previewWidthPx - sidePx) / 2}px`,
      width: `${sidePx}px`,
      height: `${sidePx}px`,
    });
  }

  private drawLandmarks(sample: SampleMessage): void {
    const context = this.faceOverlay.getContext('2d');
    if (context === null) return;
    context.clearRect(0, 0, this.faceOverlay.width, this.faceOverlay.height);
    if (sample.landmarks_px === null) return;
    context.fillStyle = '#00ff80';
    for (const [xPx, yPx] of sample.landmarks_px) {
      context.beginPath();
      context.arc(xPx, yPx, LANDMARK_RADIUS_PX, 0, 2 * Math.PI);
      context.fill();
    }
  }
}
