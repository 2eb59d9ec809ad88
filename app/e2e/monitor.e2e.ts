// The monitor page in a real browser: one participant tracking with the fake camera in one page,
// the monitor (/monitor#token=...) in a second page showing that session under the participant's
// name with its labelled gaze trace and calibration, starting and stopping its recording, the
// camera thumbnail only while the participant shares it, and ending the session (the participant's
// page says so and does not reconnect). Real server (its own, with a temporary data directory; the
// token is the one it prints at start), headless Chromium (harness.ts). Skipped, saying why, only
// where the shared data is absent. Screenshot: test-output/e2e/monitor.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, SKIP_REASON, startHarness, type Harness } from './harness';

/** 6 s of the clip, looped by Chromium: the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

interface RecordingSummary {
  state: string;
  sample_count: number;
  event_count: number;
}

const SUITE = 'the monitor page in headless Chromium against the real server';

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let harness: Harness | null = null;
    let participant: Page;
    let monitor: Page;
    let baseUrl = '';
    /** The token `gazertc serve` made and printed at start. */
    let token = '';
    const monitorRequests: { url: string; authorization: string | undefined }[] = [];

    async function recordings(): Promise<RecordingSummary[]> {
      const response = await fetch(`${baseUrl}/api/recordings`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      return ((await response.json()) as { recordings: RecordingSummary[] }).recordings;
    }

    beforeAll(async () => {
      mkdirSync(OUTPUT_DIR, { recursive: true });
      harness = await startHarness({ fakeCameraFrames: FAKE_CAMERA_FRAMES, viewport: VIEWPORT });
      baseUrl = harness.baseUrl;
      const printed = /gazertc: monitor: (\S+)\/monitor#token=([A-Za-z0-9_-]+)/.exec(
        harness.serverLog(),
      );
      if (printed === null) throw new Error(`no monitor address printed:\n${harness.serverLog()}`);
      expect(printed[1]).toBe(baseUrl);
      token = printed[2] ?? '';
      expect(token.length).toBeGreaterThanOrEqual(43); // 256 random bits
      participant = await harness.context.newPage();
      monitor = await harness.context.newPage();
      for (const page of [participant, monitor]) {
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      }
      monitor.on('request', (request) => {
        monitorRequests.push({
          url: request.url(),
          authorization: request.headers()['authorization'],
        });
      });
    });

    afterAll(async () => {
      await harness?.close();
    });

    it('has one participant tracking with the fake camera', async () => {
      await participant.goto(`${baseUrl}/`);
      await participant.getByRole('button', { name: 'Turn on camera' }).click();
      await participant.getByTestId('granted-video').waitFor({ timeout: 10_000 });
      await participant.getByRole('button', { name: 'Start tracking' }).click();
      await participant
        .locator('[data-testid="face-state"][data-state="found"]')
        .waitFor({ timeout: 20_000 });
      await participant.getByLabel('Your name for the host (optional)').fill('  P07 ');
      await participant.getByRole('button', { name: 'Save', exact: true }).click();
      await participant.getByTestId('participant-label-shown').waitFor({ timeout: 5000 });
      expect(await participant.getByTestId('participant-label-shown').textContent()).toBe(
        'The host sees you as “P07”.',
      );
      // Off by default: nothing of the camera goes to the host.
      expect(await participant.getByTestId('share-thumbnail').isChecked()).toBe(false);
      expect(await participant.getByTestId('thumbnail-shared').count()).toBe(0);
    });

    it('refuses a wrong token, with a clear message', async () => {
      await monitor.goto(`${baseUrl}/monitor#token=not-the-token-0123456789`);
      const problem = monitor.getByTestId('monitor-problem');
      await problem.waitFor({ timeout: 10_000 });
      // The title is set by the page once it has rendered, not by the HTML: check it after.
      await expect(monitor.title()).resolves.toBe('gazertc · monitor');
      expect(await problem.textContent()).toMatch(/did not accept this monitor token/);
      expect(await monitor.getByTestId('monitor-session').count()).toBe(0);
    });

    it('shows the live session, anonymised, with its gaze trace', async () => {
      // The right link pasted over the fragment: the page follows without a reload.
      await monitor.evaluate((printedToken) => {
        window.location.hash = `token=${printedToken}`;
      }, token);
      const card = monitor.getByTestId('monitor-session');
      await card.waitFor({ timeout: 10_000 });
      expect(await card.count()).toBe(1);
      const anonId = (await card.getAttribute('data-anon-id')) ?? '';
      expect(anonId).toMatch(/^[0-9a-f]{16}$/);
      // The participant's name, not the anonymous id.
      expect(await card.getByTestId('monitor-session-name').textContent()).toBe('P07');
      expect(await card.textContent()).not.toContain(anonId);
      expect(await card.getByTestId('monitor-calibration').textContent()).toBe('Not calibrated');
      expect(await card.getByTestId('gaze-trace-units').textContent()).toBe(
        'Gaze direction, in degrees (not calibrated: no screen position yet)',
      );
      expect(await card.getByTestId('gaze-trace-x-axis').textContent()).toBe('30° left0°30° right');
      expect(await card.getByTestId('gaze-trace-y-axis').textContent()).toBe('15° up0°15° down');
      await monitor
        .locator('[data-testid="monitor-face"][data-state="found"]')
        .waitFor({ timeout: 10_000 });
      await monitor.waitForFunction(
        () =>
          Number(
            document.querySelector('[data-testid="gaze-trace"]')?.getAttribute('data-points') ?? 0,
          ) >= 10,
        undefined,
        { timeout: 10_000 },
      );
      const path = await monitor
        .locator('[data-testid="gaze-trace"] .monitor-trace-path')
        .getAttribute('d');
      expect(path).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){5,}/);
      expect(await monitor.getByTestId('monitor-fps').textContent()).toMatch(/^[1-9]\d*\.\d\/s$/);
      // A moving trace: the path changes between polls.
      await monitor.waitForFunction(
        (before) =>
          document
            .querySelector('[data-testid="gaze-trace"] .monitor-trace-path')
            ?.getAttribute('d') !== before,
        path,
        { timeout: 5000 },
      );
    });

    it('starts a recording, adds an event and stops it, from the keyboard', async () => {
      const card = monitor.getByTestId('monitor-session');
      await card.getByRole('button', { name: 'Start recording' }).focus();
      await monitor.keyboard.press('Enter');
      await monitor
        .locator('[data-testid="monitor-session"][data-recording="recording"]')
        .waitFor({ timeout: 10_000 });
      expect(await card.getByTestId('monitor-feedback').textContent()).toMatch(
        /^Recording [0-9a-f]{8} started\.$/,
      );
      expect((await recordings()).map((recording) => recording.state)).toEqual(['recording']);

      await card.getByLabel('Event name').fill('stimulus_onset');
      await monitor.keyboard.press('Enter');
      await monitor.waitForFunction(
        () =>
          /Event “stimulus_onset” added to recording/.test(
            document.querySelector('[data-testid="monitor-feedback"]')?.textContent ?? '',
          ),
        undefined,
        { timeout: 5000 },
      );
      await monitor.waitForTimeout(1000); // samples to record
      await card.getByRole('button', { name: 'Stop recording' }).click();
      await monitor
        .locator('[data-testid="monitor-session"][data-recording="idle"]')
        .waitFor({ timeout: 10_000 });
      expect(await card.getByTestId('monitor-feedback').textContent()).toMatch(
        /^Recording [0-9a-f]{8} saved: \d+ samples, 1 event\.$/,
      );
      const [saved] = await recordings();
      expect(saved?.state).toBe('saved');
      expect(saved?.event_count).toBe(1);
      expect(saved?.sample_count).toBeGreaterThan(10);
      await monitor.screenshot({ path: join(OUTPUT_DIR, 'monitor.png') });
    });

    it('shows the camera thumbnail only after the participant opts in, and not after', async () => {
      const card = monitor.getByTestId('monitor-session');
      await monitor.waitForTimeout(1500); // more than a poll and a thumbnail refresh
      expect(await card.getByTestId('monitor-thumbnail').count()).toBe(0);
      expect(monitorRequests.some((request) => request.url.endsWith('/thumbnail'))).toBe(false);

      await participant.getByLabel('Share a small camera thumbnail with the host').check();
      await participant.getByTestId('thumbnail-shared').waitFor({ timeout: 5000 });
      const image = card.getByRole('img', { name: 'Camera of P07, shared by the participant' });
      await image.waitFor({ timeout: 10_000 });
      await monitor.waitForFunction(
        () =>
          (document.querySelector<HTMLImageElement>('.monitor-thumbnail img')?.naturalWidth ?? 0) >
          0,
        undefined,
        { timeout: 5000 },
      );
      const size = await image.evaluate((element: HTMLImageElement) => ({
        width: element.naturalWidth,
        height: element.naturalHeight,
      }));
      expect(size.width).toBeGreaterThan(0);
      expect(size.width).toBeLessThanOrEqual(160);
      expect(size.height).toBeLessThanOrEqual(160);
      await monitor.screenshot({ path: join(OUTPUT_DIR, 'monitor-thumbnail.png') });

      await participant.getByLabel('Share a small camera thumbnail with the host').uncheck();
      await card.getByTestId('monitor-thumbnail').waitFor({ state: 'detached', timeout: 5000 });
      expect(await participant.getByTestId('thumbnail-shared').count()).toBe(0);
      const anonId = (await card.getAttribute('data-anon-id')) ?? '';
      const refused = await fetch(`${baseUrl}/api/monitor/sessions/${anonId}/thumbnail`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(refused.status).toBe(404);
    });

    it('renames the participant from the monitor, and the participant sees the new name', async () => {
      const card = monitor.getByTestId('monitor-session');
      await card.getByLabel('Participant name').fill('Desk 3');
      await card.getByRole('button', { name: 'Set name' }).click();
      await monitor.waitForFunction(
        () =>
          document.querySelector('[data-testid="monitor-session-name"]')?.textContent === 'Desk 3',
        undefined,
        { timeout: 5000 },
      );
      await participant.waitForFunction(
        () =>
          document.querySelector('[data-testid="participant-label-shown"]')?.textContent ===
          'The host sees you as “Desk 3”.',
        undefined,
        { timeout: 5000 },
      );
    });

    it('shows the quality of the calibration in use, and the trace in screen px once calibrated', async () => {
      const card = monitor.getByTestId('monitor-session');
      await participant.getByRole('link', { name: 'Calibrate' }).click();
      await participant.getByLabel('Time per target').selectOption('600');
      await participant.getByLabel('Full screen while calibrating').uncheck();
      await participant.getByLabel('By itself, after looking (dwell)').check();
      await participant.getByRole('button', { name: 'Start calibration' }).click();
      // The clip's gaze rests on the camera whatever the targets: a poor fit, not applied.
      await participant.getByTestId('calibration-result').waitFor({ timeout: 90_000 });
      const calibration = card.getByTestId('monitor-calibration');
      await monitor.waitForFunction(
        () =>
          document.querySelector('[data-testid="monitor-calibration"]')?.textContent ===
          'Poor (not applied)',
        undefined,
        { timeout: 5000 },
      );
      expect(await calibration.getAttribute('data-quality')).toBe('poor');
      expect(await card.getByTestId('gaze-trace').getAttribute('data-unit')).toBe('deg');

      await participant.getByRole('button', { name: 'Use it anyway' }).click();
      await monitor.waitForFunction(
        () =>
          document.querySelector('[data-testid="monitor-calibration"]')?.textContent ===
          'Poor (in use)',
        undefined,
        { timeout: 5000 },
      );
      await monitor
        .locator('[data-testid="gaze-trace"][data-unit="px"]')
        .waitFor({ timeout: 10_000 });
      const caption = (await card.getByTestId('gaze-trace-units').textContent()) ?? '';
      const size = /^Gaze on the participant’s screen, in CSS px \((\d+)×(\d+); calibrated\)$/.exec(
        caption,
      );
      expect(size, caption).not.toBeNull();
      expect(await card.getByTestId('gaze-trace-x-axis').textContent()).toMatch(
        new RegExp(`${size?.[1] ?? 'none'} px$`),
      );
      expect(await card.getByTestId('gaze-trace-y-axis').textContent()).toMatch(
        new RegExp(`${size?.[2] ?? 'none'} px$`),
      );
      await monitor.screenshot({ path: join(OUTPUT_DIR, 'monitor-calibrated.png') });
      await participant.getByRole('link', { name: 'Live view' }).click();
      await participant.getByTestId('participant-label-shown').waitFor({ timeout: 5000 });
    });

    it('never put the token in a URL; the API got it in the Authorization header', () => {
      const api = monitorRequests.filter((request) => request.url.includes('/api/monitor/'));
      expect(api.length).toBeGreaterThan(3);
      for (const request of monitorRequests) {
        // What reaches the server: path and query (the fragment never leaves the browser).
        const { pathname, search } = new URL(request.url);
        expect(pathname + search).not.toContain(token);
      }
      expect(api.some((request) => request.authorization === `Bearer ${token}`)).toBe(true);
    });

    it('ends the session from the monitor; the participant is told and does not reconnect', async () => {
      const card = monitor.getByTestId('monitor-session');
      await card.getByRole('button', { name: 'End session' }).click();
      await card.getByRole('button', { name: 'Yes, end it' }).click();
      await participant.getByTestId('ended-by-host').waitFor({ timeout: 10_000 });
      expect(await participant.getByTestId('ended-by-host').textContent()).toBe(
        'The host ended this session.',
      );
      await monitor.getByTestId('monitor-session').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await monitor.getByTestId('monitor-notice').textContent()).toContain(
        'Ended the session of Desk 3.',
      );
      await participant.screenshot({ path: join(OUTPUT_DIR, 'monitor-ended-by-host.png') });
      // Longer than the first reconnect delay: still ended, and no new session on the monitor.
      await participant.waitForTimeout(3000);
      expect(await participant.getByTestId('ended-by-host').count()).toBe(1);
      expect(await monitor.getByTestId('monitor-session').count()).toBe(0);

      // Starting again is the participant's choice: a new session, with the name they gave.
      await participant.getByRole('button', { name: 'Back to the start' }).click();
      await participant.getByRole('button', { name: 'Start tracking' }).click();
      await monitor.getByTestId('monitor-session').waitFor({ timeout: 15_000 });
      await monitor.waitForFunction(
        () => document.querySelector('[data-testid="monitor-session-name"]')?.textContent === 'P07',
        undefined,
        { timeout: 5000 },
      );
    });

    it('forgets the session once the participant stops', async () => {
      await participant.getByRole('button', { name: 'Stop', exact: true }).click();
      await monitor.getByTestId('monitor-session').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await monitor.getByTestId('monitor-summary').textContent()).toMatch(
        /^No live sessions/,
      );
    });
  },
);
