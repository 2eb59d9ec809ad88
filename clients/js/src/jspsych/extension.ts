// jsPsychExtensionGazertc: gaze data in every trial that lists the extension, from a gazertc
// session. Writes WebGazer's fields (webgazer_data {x, y, t}, webgazer_targets) and gazertc's
// own: every frame with head pose, blink state, confidence and capture time (gazertc_samples),
// fixations and blinks that ended in the trial. Samples are pushed by the session, so a trial
// gets every frame the camera delivered, at the camera's rate.

import type { GazeClient, GazeClientOptions } from '../client/gazeClient';
import type { GazeSample } from '../client/sample';
import type { ServerMessage } from '../protocol/messages';
import { ParameterType, type ExtensionInfo, type JsPsychLike } from './jspsych_types';
import {
  trialBlinksOf,
  trialFixationOf,
  trialSampleOf,
  webgazerDataOf,
  type TrialBlink,
  type TrialFixation,
  type TrialGazeSample,
} from './trial_data';

/** The part of GazeClient the extension and the plugins use (a test double implements exactly this). */
export type ExtensionClient = Pick<
  GazeClient,
  'start' | 'state' | 'on' | 'pageMsAt' | 'calibrate' | 'validate' | 'latestSample'
>;

export const EXTENSION_VERSION = '0.1.0';
/** One hour at 60 fps: a trial that never ends cannot grow memory without bound (also caps its fixations and blinks). */
export const MAX_SAMPLES_PER_TRIAL = 216_000;
/**
 * At the end of a trial, wait at most this long for the frames captured before it ended (they
 * arrive after the server's processing and the network's delay).
 */
export const FINAL_SAMPLES_WAIT_MS = 300;

export interface ExtensionInitializeParameters {
  /** A GazeClient to use; default: a new `gazertc.GazeClient(client_options)`. */
  client?: ExtensionClient;
  client_options?: GazeClientOptions;
  /** Start the camera and session when the experiment starts (else at the first calibration). */
  auto_start?: boolean;
  /** Use the server's smoothed point instead of the raw one. */
  smoothed?: boolean;
}

export interface ExtensionTrialParameters {
  /** CSS selectors whose bounding boxes go into webgazer_targets, as WebGazer's extension does. */
  targets?: string[];
}

interface GazertcNamespace {
  GazeClient: new (options?: GazeClientOptions) => ExtensionClient;
}

function globalClientClass(): GazertcNamespace['GazeClient'] {
  const namespace = (globalThis as { gazertc?: Partial<GazertcNamespace> }).gazertc;
  if (namespace?.GazeClient === undefined) {
    throw new Error('gazertc.js is not loaded: load /lib/gazertc.js before jspsych-gazertc.js');
  }
  return namespace.GazeClient;
}

function rectOf(element: Element): Record<string, number> {
  const rect = element.getBoundingClientRect();
  const { x, y, width, height, top, bottom, left, right } = rect;
  return { x, y, width, height, top, bottom, left, right };
}

export class GazertcExtension {
  static readonly info: ExtensionInfo = {
    name: 'gazertc',
    version: EXTENSION_VERSION,
    data: {
      /** WebGazer's records: {x, y, t}, viewport px and ms from the trial's start, frames with a point. */
      webgazer_data: { type: ParameterType.COMPLEX, array: true },
      /** WebGazer's: the bounding box of each element the trial's `targets` selectors found. */
      webgazer_targets: { type: ParameterType.COMPLEX },
      /** Every frame of the trial (TrialGazeSample: point, capture time, head pose, blink, confidence). */
      gazertc_samples: { type: ParameterType.COMPLEX, array: true },
      /** Fixations that ended in the trial (start_t, end_t, duration_ms, yaw/pitch, dispersion). */
      gazertc_fixations: { type: ParameterType.COMPLEX, array: true },
      /** Blinks that ended in the trial (t, duration_ms). */
      gazertc_blinks: { type: ParameterType.COMPLEX, array: true },
    },
  };

  private activeClient: ExtensionClient | null = null;
  private smoothed = false;
  private unsubscribe: (() => void)[] = [];
  private trialStartPageMs: number | null = null;
  private samples: TrialGazeSample[] = [];
  private fixations: TrialFixation[] = [];
  private blinks: TrialBlink[] = [];
  private targets: Record<string, Record<string, number>> = {};
  private selectors: string[] = [];
  private observer: MutationObserver | null = null;
  private lastCapturePageMs = -Infinity;
  private frameArrived: (() => void) | null = null;

  constructor(
    private readonly jsPsych: JsPsychLike,
    /** The page clock (performance.now()); tests pass their own. */
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** The session (available after initialize). */
  get client(): ExtensionClient {
    if (this.activeClient === null) {
      throw new Error('the gazertc extension is not initialized: list it in initJsPsych');
    }
    return this.activeClient;
  }

  initialize = async (params: ExtensionInitializeParameters = {}): Promise<void> => {
    const client = params.client ?? new (globalClientClass())(params.client_options);
    this.activeClient = client;
    this.smoothed = params.smoothed ?? false;
    this.unsubscribe = [
      client.on('sample', (sample) => {
        this.onSample(sample);
      }),
      client.on('message', (message) => {
        this.onMessage(message);
      }),
    ];
    if (params.auto_start === true) await this.start();
  };

  /** Start the camera and the session unless they are running. */
  start = async (): Promise<void> => {
    const client = this.client;
    if (client.state === 'live' || client.state === 'paused') return;
    await client.start();
  };

  on_start = (params: ExtensionTrialParameters = {}): void => {
    this.trialStartPageMs = null;
    this.samples = [];
    this.fixations = [];
    this.blinks = [];
    this.targets = {};
    this.selectors = params.targets ?? [];
    if (this.selectors.length > 0) {
      this.observer = new MutationObserver(() => {
        this.findTargets();
      });
      this.observer.observe(this.jsPsych.getDisplayElement(), { childList: true, subtree: true });
    }
  };

  on_load = (): void => {
    this.trialStartPageMs = this.nowMs();
    this.findTargets();
  };

  on_finish = async (): Promise<Record<string, unknown>> => {
    const endPageMs = this.nowMs();
    const startPageMs = this.trialStartPageMs ?? endPageMs;
    this.observer?.disconnect();
    this.observer = null;
    await this.framesUntil(endPageMs);
    this.trialStartPageMs = null;
    const samples = this.samples.filter((sample) => sample.t <= endPageMs - startPageMs);
    return {
      webgazer_data: webgazerDataOf(samples),
      webgazer_targets: this.targets,
      gazertc_samples: samples,
      gazertc_fixations: this.fixations,
      gazertc_blinks: this.blinks,
    };
  };

  /** Resolve once a frame captured at or after `pageMs` arrived, or after FINAL_SAMPLES_WAIT_MS. */
  private framesUntil(pageMs: number): Promise<void> {
    if (this.lastCapturePageMs >= pageMs || this.activeClient?.state !== 'live') {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = window.setTimeout(done, FINAL_SAMPLES_WAIT_MS);
      const arrived = (): void => {
        if (this.lastCapturePageMs >= pageMs) done();
      };
      function done(): void {
        window.clearTimeout(timer);
        resolve();
      }
      this.frameArrived = arrived;
    }).finally(() => {
      this.frameArrived = null;
    });
  }

  private onSample(sample: GazeSample): void {
    this.lastCapturePageMs = Math.max(this.lastCapturePageMs, sample.capturePageMs);
    const startPageMs = this.trialStartPageMs;
    if (startPageMs !== null && sample.capturePageMs >= startPageMs) {
      if (this.samples.length < MAX_SAMPLES_PER_TRIAL) {
        this.samples.push(trialSampleOf(sample, startPageMs, this.smoothed));
      }
      if (this.blinks.length < MAX_SAMPLES_PER_TRIAL) {
        this.blinks.push(
          ...trialBlinksOf(sample.message.blink_events, startPageMs, (ns) =>
            this.client.pageMsAt(ns),
          ),
        );
      }
    }
    this.frameArrived?.();
  }

  private onMessage(message: ServerMessage): void {
    const startPageMs = this.trialStartPageMs;
    if (message.type !== 'fixation' || startPageMs === null) return;
    const fixation = trialFixationOf(message, startPageMs, (ns) => this.client.pageMsAt(ns));
    if (fixation !== null && this.fixations.length < MAX_SAMPLES_PER_TRIAL) {
      this.fixations.push(fixation);
    }
  }

  private findTargets(): void {
    const display = this.jsPsych.getDisplayElement();
    for (const selector of this.selectors) {
      if (selector in this.targets) continue;
      const element = display.querySelector(selector);
      if (element !== null) this.targets[selector] = rectOf(element);
    }
  }

  /** Stop listening to the session (the page's own teardown; jsPsych does not call it). */
  dispose(): void {
    for (const stop of this.unsubscribe) stop();
    this.unsubscribe = [];
  }
}
