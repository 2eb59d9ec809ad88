// The monitor page in a real browser: one participant tracking with the fake camera in one page,
// the monitor (/monitor#token=...) in a second page showing that session and its gaze trace, and
// starting and stopping its recording. Real server (its own, with a temporary data directory; the
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
      expect(await card.getAttribute('data-anon-id')).toMatch(/^[0-9a-f]{16}$/);
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

    it('forgets the session once the participant stops', async () => {
      await participant.getByRole('button', { name: 'Stop' }).click();
      await monitor.getByTestId('monitor-session').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await monitor.getByTestId('monitor-summary').textContent()).toMatch(
        /^No live sessions/,
      );
    });
  },
);
