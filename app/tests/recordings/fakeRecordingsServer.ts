// A stand-in for the server's recordings API: answers GET /api/recordings, .../summary,
// .../replay and .../export with schema-valid bodies, only for the right token.

import type { RecordingInfo, RecordingReplay, RecordingSummary } from 'gazertc-client/protocol';
import { fixation, screenReplay } from './replayFixture';

export const RECORDING_ID = '0123456789abcdef0123456789abcdef';
const STARTED_UNIX_NS = 1_780_000_000_000_000_000;

export const INFO: RecordingInfo = {
  recording_id: RECORDING_ID,
  session_id: 'fedcba9876543210fedcba9876543210',
  name: 'reading task',
  participant_label: 'P07',
  state: 'saved',
  started_unix_ns: STARTED_UNIX_NS,
  stopped_unix_ns: STARTED_UNIX_NS + 2_000_000_000,
  frame_width_px: 640,
  frame_height_px: 480,
  sample_count: 20,
  event_count: 2,
  blink_count: 0,
  fixation_count: 3,
  saccade_count: 0,
  metadata: {},
  started_by: 'host',
  stopped_by: 'host',
  video: false,
};

/** 2 s on a 1000x500 screen: left half for the first second, right half after. */
export function replay(): RecordingReplay {
  const points = Array.from({ length: 20 }, (_, index) =>
    index < 10 ? { x: 200, y: 250 } : { x: 800, y: 250 },
  );
  return {
    ...screenReplay(points),
    duration_s: 2,
    events: [
      { t_s: 0.5, name: 'stimulus_onset' },
      { t_s: 1.5, name: 'response' },
    ],
    fixations: [
      fixation(0.1, 0.4, { xPx: 200, yPx: 250 }),
      fixation(0.6, 0.9, { xPx: 210, yPx: 250 }),
      fixation(1.1, 1.9, { xPx: 800, yPx: 250 }),
    ],
    blinks: [{ start_s: 1, end_s: 1.1 }],
  };
}

export function summary(): RecordingSummary {
  return {
    recording: INFO,
    duration_s: 2,
    data_quality: {
      samples: 20,
      expected_frames: 20,
      frame_rate_hz: 10,
      gaps: [],
      gap_count: 0,
      gap_total_s: 0,
      face_found_share: 1,
      gaze_share: 1,
      screen_gaze_share: 1,
    },
    calibrations: [],
    events: [],
    screen: { width_px: 1000, height_px: 500 },
  };
}

export class FakeRecordingsServer {
  readonly requests: { url: string; authorization: string | null }[] = [];

  constructor(private readonly token: string) {}

  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const authorization = new Headers(init?.headers).get('Authorization');
    this.requests.push({ url: url.toString(), authorization });
    if (authorization !== `Bearer ${this.token}`) {
      return Promise.resolve(
        Response.json(
          { v: 1, type: 'error', code: 'unauthorized', message: 'wrong token', fatal: false },
          { status: 401 },
        ),
      );
    }
    const base = `/api/recordings/${RECORDING_ID}`;
    const routes: Record<string, () => Response> = {
      '/api/recordings': () => Response.json({ recordings: [INFO] }),
      [`${base}/summary`]: () => Response.json(summary()),
      [`${base}/replay`]: () => Response.json(replay()),
      [`${base}/export`]: () =>
        new Response(new Blob([`zip of ${url.searchParams.get('format')}`])),
    };
    const route = routes[url.pathname];
    return Promise.resolve(
      route === undefined
        ? Response.json(
            { v: 1, type: 'error', code: 'not_found', message: 'no such recording', fatal: false },
            { status: 404 },
          )
        : route(),
    );
  };
}
