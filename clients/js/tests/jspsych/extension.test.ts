// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest';
import { GazertcExtension } from '../../src/jspsych/extension';
import type { FixationMessage, SampleMessage } from '../../src/protocol/types.gen';
import { fixture } from '../fixtures';
import { FakeClient, sampleMessage, serverUnixNsAt } from '../webgazer/fake_client';

/** A frame every 40 ms (25 fps), captured at `fromMs`, `fromMs + 40`, ... */
function frames(client: FakeClient, fromMs: number, count: number, firstId: number): void {
  for (let index = 0; index < count; index++) {
    client.receive(
      sampleMessage(firstId + index, fromMs + index * 40, { xPx: 100 + index, yPx: 50 }),
    );
  }
}

describe('jsPsychExtensionGazertc', () => {
  let client: FakeClient;
  let display: HTMLElement;
  let extension: GazertcExtension;
  /** The page clock the extension reads (ms). */
  let nowMs: number;

  beforeEach(async () => {
    document.body.replaceChildren();
    display = document.createElement('div');
    document.body.append(display);
    client = new FakeClient();
    nowMs = 1000;
    extension = new GazertcExtension(
      { getDisplayElement: () => display, extensions: {} },
      () => nowMs,
    );
    await extension.initialize({ client, auto_start: true });
  });

  it('describes itself as jsPsych 8 expects', () => {
    expect(GazertcExtension.info.name).toBe('gazertc');
    expect(GazertcExtension.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(GazertcExtension.info.data)).toEqual([
      'webgazer_data',
      'webgazer_targets',
      'gazertc_samples',
      'gazertc_fixations',
      'gazertc_blinks',
    ]);
    expect(client.state).toBe('live');
  });

  it("writes the trial's frames, WebGazer's fields and gazertc's", async () => {
    extension.on_start({ targets: ['#stimulus'] });
    const stimulus = document.createElement('p');
    stimulus.id = 'stimulus';
    display.append(stimulus);
    extension.on_load();
    const startMs = nowMs;
    // A frame captured before the trial started is not the trial's.
    client.receive(sampleMessage(1, startMs - 100, { xPx: 1, yPx: 1 }));
    frames(client, startMs + 10, 5, 2);
    client.receive(sampleMessage(7, startMs + 210, null));
    const fixation = fixture('fixation.end.json') as FixationMessage;
    client.receive({
      ...fixation,
      start_unix_ns: serverUnixNsAt(startMs + 20),
      end_unix_ns: serverUnixNsAt(startMs + 120),
      duration_ms: 100,
    });
    const blink = sampleMessage(8, startMs + 250, null);
    blink.blinking = true;
    blink.blink_events = [
      { phase: 'end', timestamp_unix_ns: serverUnixNsAt(startMs + 240), duration_ms: 150 },
      // Ended before the trial: the previous trial's.
      { phase: 'end', timestamp_unix_ns: serverUnixNsAt(startMs - 10), duration_ms: 100 },
    ];
    client.receive(blink);
    nowMs = startMs + 300;
    // Captured after the end: not the trial's (and it tells the extension no frame is missing).
    client.receive(sampleMessage(9, startMs + 310, null));
    const data = await extension.on_finish();

    const webgazerData = data['webgazer_data'] as { x: number; y: number; t: number }[];
    expect(webgazerData).toHaveLength(5);
    expect(webgazerData[0]).toEqual({ x: 100, y: 50, t: 10 });
    expect(webgazerData.map((point) => point.t)).toEqual([10, 50, 90, 130, 170]);

    const samples = data['gazertc_samples'] as Record<string, unknown>[];
    expect(samples.map((sample) => sample['frame_id'])).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const calibrated = fixture('sample.calibrated.json') as SampleMessage;
    const head = calibrated.head_pose;
    const eyes = [calibrated.right_eye, calibrated.left_eye].filter((eye) => eye !== null);
    expect(samples[0]).toEqual({
      t: 10,
      x: 100,
      y: 50,
      capture_unix_ms: serverUnixNsAt(startMs + 10) / 1e6,
      frame_id: 2,
      face_found: true,
      confidence: eyes.reduce((total, eye) => total + eye.confidence, 0) / eyes.length,
      blinking: false,
      head_yaw_deg: head?.yaw_deg,
      head_pitch_deg: head?.pitch_deg,
      head_roll_deg: head?.roll_deg,
      gaze_yaw_deg: expect.any(Number) as unknown,
      gaze_pitch_deg: expect.any(Number) as unknown,
    });
    expect(samples[5]).toMatchObject({ x: null, y: null });
    expect(samples[6]).toMatchObject({ blinking: true });

    expect(data['gazertc_fixations']).toEqual([
      {
        start_t: 20,
        end_t: 120,
        duration_ms: 100,
        yaw_deg: fixation.yaw_deg,
        pitch_deg: fixation.pitch_deg,
        dispersion_deg: fixation.dispersion_deg,
      },
    ]);
    expect(data['gazertc_blinks']).toEqual([{ t: 90, duration_ms: 150 }]);
    expect(data['webgazer_targets']).toEqual({
      '#stimulus': { x: 0, y: 0, width: 0, height: 0, top: 0, bottom: 0, left: 0, right: 0 },
    });
  });

  it('waits briefly at the end of a trial for the frames captured before it ended', async () => {
    extension.on_start();
    extension.on_load();
    nowMs = 2000;
    const finished = extension.on_finish();
    client.receive(sampleMessage(1, 1970, { xPx: 10, yPx: 10 }));
    client.receive(sampleMessage(2, 2030, { xPx: 20, yPx: 20 }));
    const data = await finished;
    expect(data['webgazer_data']).toEqual([{ x: 10, y: 10, t: 970 }]);
  });

  it('starts each trial empty', async () => {
    extension.on_start();
    extension.on_load();
    frames(client, 1000, 3, 1);
    nowMs = 1200;
    client.receive(sampleMessage(4, 1210, null));
    await extension.on_finish();
    nowMs = 1500;
    extension.on_start();
    extension.on_load();
    nowMs = 1600;
    client.receive(sampleMessage(5, 1610, null));
    const data = await extension.on_finish();
    expect(data['gazertc_samples']).toEqual([]);
    expect(data['webgazer_targets']).toEqual({});
  });

  it('needs gazertc.js when no client is given', async () => {
    const bare = new GazertcExtension({ getDisplayElement: () => display, extensions: {} });
    await expect(bare.initialize()).rejects.toThrow('gazertc.js is not loaded');
  });
});
