// Consent you can see, in a real browser: the participant tracks with the fake camera in one page;
// the host starts a recording from the monitor page in another; the participant's page says so,
// on every page of the app, within seconds, and its Stop button ends it, saved and marked as
// stopped by the participant. Then a recording the host starts over the API shows above the
// full-window calibration without covering its targets, and ends with the session. Real server
// (its own, with a temporary data directory; the host token is the one it prints at start),
// headless Chromium (harness.ts). Skipped, saying why, only where the shared data is absent.
// Screenshots: test-output/e2e/consent-recording.png, consent-calibration.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, SKIP_REASON, startHarness, type Harness } from './harness';

/** 6 s of the clip, looped by Chromium: the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };
/** "Within a few seconds": the server tells the participant at once; this allows for load. */
const SHOWN_WITHIN_MS = 3000;

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

interface StoredRecording {
  recording_id: string;
  state: string;
  started_by: string;
  stopped_by: string | null;
  sample_count: number;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

const SUITE = "the participant's recording indicator in headless Chromium against the real server";

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let harness: Harness | null = null;
    let participant: Page;
    let monitor: Page;
    let baseUrl = '';
    /** The host token `gazertc serve` made and printed at start. */
    let token = '';

    async function hostGet<T>(path: string): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (!response.ok)
        throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    }

    async function recordings(): Promise<StoredRecording[]> {
      return (await hostGet<{ recordings: StoredRecording[] }>('/api/recordings')).recordings;
    }

    function indicator(state: 'recording' | 'ended' | 'none'): Locator {
      return participant.locator(`[data-testid="recording-indicator"][data-state="${state}"]`);
    }

    const headline = (): Promise<string | null> =>
      participant.getByTestId('recording-headline').textContent();

    beforeAll(async () => {
      mkdirSync(OUTPUT_DIR, { recursive: true });
      harness = await startHarness({ fakeCameraFrames: FAKE_CAMERA_FRAMES, viewport: VIEWPORT });
      baseUrl = harness.baseUrl;
      const printed = /\/monitor#token=([A-Za-z0-9_.~-]+)/.exec(harness.serverLog());
      if (printed === null) throw new Error(`no monitor address printed:\n${harness.serverLog()}`);
      token = printed[1] ?? '';
      participant = await harness.context.newPage();
      monitor = await harness.context.newPage();
      for (const page of [participant, monitor]) {
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      }
    });

    afterAll(async () => {
      await harness?.close();
    });

    it('tells the participant, before anything starts, who may record', async () => {
      await participant.goto(`${baseUrl}/`);
      const privacy = await participant.getByTestId('privacy').textContent();
      expect(privacy).toContain('is not stored');
      expect(privacy).toContain('the host of this server may start one');
      expect(privacy).not.toMatch(/nothing is recorded[.;]/i);
      expect(await indicator('none').count()).toBe(1);
    });

    it('has the participant tracking with the fake camera', async () => {
      await participant.getByRole('button', { name: 'Turn on camera' }).click();
      await participant.getByTestId('granted-video').waitFor({ timeout: 10_000 });
      await participant.getByRole('button', { name: 'Start tracking' }).click();
      await participant
        .locator('[data-testid="face-state"][data-state="found"]')
        .waitFor({ timeout: 20_000 });
      expect(await indicator('none').count()).toBe(1);
    });

    it('shows the participant, within seconds, a recording the host starts on the monitor', async () => {
      await monitor.goto(`${baseUrl}/monitor#token=${token}`);
      const card = monitor.getByTestId('monitor-session');
      await card.waitFor({ timeout: 10_000 });
      expect(await card.count()).toBe(1);
      await card.getByRole('button', { name: 'Start recording' }).click();
      const clickedAt = Date.now();
      await indicator('recording').waitFor({ timeout: SHOWN_WITHIN_MS });
      console.log(`indicator shown ${Date.now() - clickedAt} ms after the host's click`);
      // The words, in the live region that announces them.
      const status = participant.getByTestId('recording-headline');
      expect(await status.getAttribute('role')).toBe('status');
      expect(await headline()).toBe('Recording — started by the host of this server');
      expect(await status.isVisible()).toBe(true);
      // The red dot, and a running time that runs.
      const dotColour = await participant
        .locator('.recording-dot')
        .evaluate((element) => getComputedStyle(element).backgroundColor);
      expect(dotColour).toBe('rgb(255, 123, 114)');
      const elapsed = participant.getByTestId('recording-elapsed');
      expect(await elapsed.textContent()).toMatch(/^Running for 0:0\d$/);
      const first = await elapsed.textContent();
      await participant.waitForFunction(
        (before) =>
          document.querySelector('[data-testid="recording-elapsed"]')?.textContent !== before,
        first,
        { timeout: 3000 },
      );
      await participant.screenshot({ path: join(OUTPUT_DIR, 'consent-recording.png') });
      const [running] = await recordings();
      expect(running).toMatchObject({ state: 'recording', started_by: 'host', stopped_by: null });
    });

    it('keeps showing it on every page of the app', async () => {
      const nav = participant.getByRole('navigation', { name: 'Pages' });
      for (const [link, title] of [
        ['Calibrate', 'Calibration'],
        ['Dwell buttons', 'Dwell buttons'],
        ['Live view', null],
      ] as const) {
        await nav.getByRole('link', { name: link }).click();
        if (title !== null) {
          await participant.getByRole('heading', { name: title, level: 1 }).waitFor();
        }
        expect(await indicator('recording').isVisible()).toBe(true);
        expect(await headline()).toBe('Recording — started by the host of this server');
      }
    });

    it("stops it from the participant's page: saved, and marked stopped by the participant", async () => {
      await participant.getByRole('button', { name: 'Stop recording' }).click();
      await indicator('ended').waitFor({ timeout: 5000 });
      expect(await headline()).toBe('Recording stopped by you — saved');
      expect(await participant.getByRole('button', { name: 'Stop recording' }).count()).toBe(0);
      // The monitor sees it stopped.
      await monitor
        .locator('[data-testid="monitor-session"][data-recording="idle"]')
        .waitFor({ timeout: 5000 });
      const [saved] = await recordings();
      expect(saved).toMatchObject({
        state: 'saved',
        started_by: 'host',
        stopped_by: 'participant',
      });
      expect(saved?.sample_count).toBeGreaterThan(10);
      // The Stop button is gone: the notice holds the keyboard focus, and stays while it does.
      expect(
        await participant.evaluate(
          () =>
            document
              .querySelector('[data-testid="recording-indicator"]')
              ?.contains(document.activeElement) === true,
        ),
      ).toBe(true);
      // Once the focus moves on, the notice goes (after 8 s at most).
      await participant.keyboard.press('Tab');
      await indicator('none').waitFor({ state: 'attached', timeout: 10_000 });
      expect(await headline()).toBe('');
    });

    it('shows a recording above the full-window calibration without covering its targets', async () => {
      const { sessions } = await hostGet<{ sessions: { anon_id: string }[] }>(
        '/api/monitor/sessions',
      );
      const anonId = sessions[0]?.anon_id ?? '';
      const started = await fetch(`${baseUrl}/api/monitor/sessions/${anonId}/recording`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ action: 'start', name: 'block 2' }),
      });
      expect(started.status).toBe(200);
      await indicator('recording').waitFor({ timeout: SHOWN_WITHIN_MS });
      expect(await headline()).toBe('Recording — started by the host of this server · “block 2”');

      await participant.getByRole('link', { name: 'Calibrate' }).click();
      await participant.getByLabel('Full screen while calibrating').uncheck();
      await participant.getByRole('button', { name: 'Start calibration' }).click();
      await participant.getByTestId('procedure').waitFor();
      const banner = participant.locator('.recording-recording');
      const box = await banner.boundingBox();
      if (box === null) throw new Error('the indicator is not rendered during the calibration');
      // On top of the procedure, where it is.
      const onTop = await participant.evaluate(
        ({ x, y }) => document.elementFromPoint(x, y)?.closest('.recording') !== null,
        { x: box.x + box.width / 2, y: box.y + box.height / 2 },
      );
      expect(onTop).toBe(true);
      expect(await participant.getByRole('button', { name: 'Stop recording' }).isVisible()).toBe(
        true,
      );
      // Clear of the targets: every target of the layout, one after the other.
      for (let index = 0; index < 9; index += 1) {
        const target = participant.locator(
          `[data-testid="procedure-target"][data-target-id="${index}"] svg`,
        );
        await target.waitFor({ timeout: 10_000 });
        const targetBox = await target.boundingBox();
        if (targetBox === null) throw new Error(`target ${index} has no box`);
        expect(overlaps(box, targetBox), `the indicator covers target ${index}`).toBe(false);
        if (index === 0) {
          await participant.screenshot({ path: join(OUTPUT_DIR, 'consent-calibration.png') });
        }
        await participant.keyboard.press('Space');
        await participant
          .locator(
            `[data-testid="procedure-target"][data-step="collecting"][data-target-id="${index}"]`,
          )
          .waitFor({ timeout: 5000 });
      }
      await participant.keyboard.press('Escape');
      await participant.getByTestId('procedure').waitFor({ state: 'detached', timeout: 10_000 });
    });

    it('ends the recording with the session when the participant stops tracking', async () => {
      await participant.getByRole('button', { name: 'Stop', exact: true }).click();
      await indicator('ended').waitFor({ timeout: 5000 });
      expect(await headline()).toBe('Recording ended with the session · “block 2”');
      await monitor.getByTestId('monitor-session').waitFor({ state: 'detached', timeout: 10_000 });
      const all = await recordings();
      expect(all).toHaveLength(2);
      expect(all[1]).toMatchObject({ state: 'saved', started_by: 'host', stopped_by: 'server' });
    });
  },
);
