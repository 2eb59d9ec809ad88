// Calibration, validation, the saved calibration and the dwell page in a real browser: the real
// server, headless Chromium and the fake camera (a real webcam clip). The clip's gaze does not
// follow the targets, so this checks the flow and what is drawn, not accuracy: targets advance
// with the key press (key mode needs no particular gaze), the server fits and validates the
// samples it gets, the charts render, and after a reload the saved calibration loads again.
// Screenshots: test-output/e2e/calibration-target.png, calibration-result.png and dwell.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, SKIP_REASON, startHarness, type Harness } from './harness';

/** 6 s of the clip (Chromium loops it): the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };
const CALIBRATION_TARGETS = 9;
const VALIDATION_TARGETS = 5;
/** The shortest time per target the page offers: 0.6 s of gaze after the 0.3 s settle. */
const TARGET_MS = '600';

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

/** Camera on, tracking started, connection live (from whichever page shows the start screen). */
async function goLive(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Turn on camera' }).click();
  await page.getByRole('button', { name: 'Start tracking' }).click();
  await page
    .locator('[data-testid="connection-state"][data-phase="live"]')
    .waitFor({ timeout: 20_000 });
}

/** Press Space at every target of a running procedure, checking they come in order. */
async function pressThroughTargets(
  page: Page,
  ids: readonly number[],
  screenshotAtId: number | null = null,
): Promise<void> {
  for (const id of ids) {
    await page
      .locator(`[data-testid="procedure-target"][data-step="ready"][data-target-id="${id}"]`)
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Space');
    await page
      .locator(`[data-testid="procedure-target"][data-step="collecting"][data-target-id="${id}"]`)
      .waitFor({ timeout: 5_000 });
    if (id === screenshotAtId) {
      await page.screenshot({ path: join(OUTPUT_DIR, 'calibration-target.png') });
    }
  }
}

/** Wait for `testId` to appear; fail with the page's problem notice when one shows instead. */
async function resultOrProblem(page: Page, testId: string): Promise<void> {
  const outcome = await Promise.race([
    page
      .getByTestId(testId)
      .waitFor({ timeout: 20_000 })
      .then(() => 'result'),
    page
      .getByTestId('calibration-problem')
      .waitFor({ timeout: 20_000 })
      .then(() => 'problem'),
  ]);
  if (outcome === 'problem') {
    throw new Error(
      `the server answered: ${await page.getByTestId('calibration-problem').textContent()}`,
    );
  }
}

const SUITE = 'calibration, validation and dwell buttons in headless Chromium';

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let harness: Harness;
    let page: Page;

    beforeAll(async () => {
      mkdirSync(OUTPUT_DIR, { recursive: true });
      harness = await startHarness({ fakeCameraFrames: FAKE_CAMERA_FRAMES, viewport: VIEWPORT });
      page = await harness.context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning')
          console.error(`page console ${message.type()}: ${message.text()}`);
      });
    });

    afterAll(async () => {
      await harness.close();
    });

    it('reaches the calibration page from the header navigation, with the keyboard', async () => {
      await page.goto(`${harness.baseUrl}/`);
      const nav = page.getByRole('navigation', { name: 'Pages' });
      expect(await nav.getByRole('link').allTextContents()).toEqual([
        'Live view',
        'Calibrate',
        'Dwell buttons',
      ]);
      expect(await nav.getByRole('link', { name: 'Live view' }).getAttribute('aria-current')).toBe(
        'page',
      );
      await nav.getByRole('link', { name: 'Calibrate' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/calibrate$/);
      expect(await nav.getByRole('link', { name: 'Calibrate' }).getAttribute('aria-current')).toBe(
        'page',
      );
      await goLive(page);
      await page.getByRole('heading', { name: 'Calibration', level: 1 }).waitFor();
      expect(await page.getByTestId('saved-calibration').getAttribute('data-state')).toBe('none');
      expect(await page.getByTestId('screen-geometry').textContent()).toContain(
        `${VIEWPORT.width}×${VIEWPORT.height} CSS px at 1×`,
      );
    });

    it('calibrates on 9 targets with the key press and shows the fit', async () => {
      await page.getByLabel('Time per target').selectOption(TARGET_MS);
      await page.getByLabel('Full screen while calibrating').uncheck();
      const started = Date.now();
      await page.getByRole('button', { name: 'Start calibration' }).click();
      await page.getByTestId('procedure').waitFor();
      await pressThroughTargets(
        page,
        Array.from({ length: CALIBRATION_TARGETS }, (_, index) => index),
        3,
      );
      await resultOrProblem(page, 'calibration-result');
      console.log(`calibration: ${Date.now() - started} ms for ${CALIBRATION_TARGETS} targets`);
      expect(await page.getByTestId('fit-chart').getByTestId('chart-target').count()).toBe(
        CALIBRATION_TARGETS,
      );
      const offset = (await page.getByTestId('fit-offset').textContent()) ?? '';
      expect(offset).toMatch(/^\d+\.\d\d° · \d+ px · \d+\.\d cm$/);
      console.log(`fit offset: ${offset}`);
      expect(await page.getByTestId('saved-calibration').getAttribute('data-state')).toBe('saved');
      const saved = await page.evaluate(() => localStorage.getItem('gazertc.calibration.v1'));
      expect(JSON.parse(saved ?? '{}')).toMatchObject({
        model: { format: 'gazertc.calibration/1', screen: { width_px: VIEWPORT.width } },
      });
      // Once calibrated, samples carry screen points: the gaze cursor is on the page.
      await page.getByTestId('gaze-cursor').waitFor({ state: 'attached' });
    });

    it('validates on 5 other targets and charts accuracy, precision and the samples', async () => {
      const started = Date.now();
      await page
        .getByTestId('calibration-result')
        .getByRole('button', { name: 'Validate' })
        .click();
      await pressThroughTargets(page, [100, 101, 102, 103, 104]);
      await resultOrProblem(page, 'validation-result');
      console.log(`validation: ${Date.now() - started} ms for ${VALIDATION_TARGETS} targets`);
      const chart = page.getByTestId('validation-chart');
      expect(await chart.getByTestId('chart-target').count()).toBe(VALIDATION_TARGETS);
      const samples = await chart.getByTestId('chart-sample').count();
      expect(samples).toBeGreaterThan(VALIDATION_TARGETS);
      const accuracy = (await page.getByTestId('validation-accuracy').textContent()) ?? '';
      const precision = (await page.getByTestId('validation-precision').textContent()) ?? '';
      expect(accuracy).toMatch(/^\d+\.\d\d° · \d+ px · \d+\.\d cm$/);
      expect(precision).toMatch(/^\d+\.\d\d° · \d+ px$/);
      console.log(
        `validation: accuracy ${accuracy}, precision ${precision}, ${samples} samples drawn`,
      );
      expect(await page.getByRole('row').count()).toBe(VALIDATION_TARGETS + 1);
      await page.getByTestId('validation-result').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUTPUT_DIR, 'calibration-result.png'), fullPage: true });
    });

    it('loads the saved calibration again after a reload', async () => {
      await page.reload();
      await goLive(page);
      await page
        .locator('[data-testid="saved-calibration"][data-state="loaded"]')
        .waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('saved-calibration').textContent()).toMatch(
        /^Using the calibration saved on /,
      );
      expect(await page.getByRole('button', { name: 'Recalibrate' }).count()).toBeGreaterThan(0);
    });

    it('shows the dwell buttons, driven by the gaze, with pause by key and button', async () => {
      await page.getByRole('link', { name: 'Dwell buttons' }).click();
      const board = page.getByTestId('dwell-page');
      await board.waitFor();
      expect(await page.getByTestId('dwell-button').count()).toBe(6);
      expect(await page.getByTestId('dwell-uncalibrated').count()).toBe(0);
      // Samples drive the dwell loop: a button the gaze is on is marked (the clip's gaze lands
      // wherever it lands, so which one is not asserted).
      await page.waitForTimeout(1500);
      const pause = page.getByTestId('dwell-pause');
      expect(await pause.getAttribute('aria-pressed')).toBe('false');
      await page.keyboard.press('p');
      expect(await pause.getAttribute('aria-pressed')).toBe('true');
      expect(await board.getAttribute('data-paused')).toBe('true');
      expect(await page.locator('[data-testid="dwell-button"][data-dwell="active"]').count()).toBe(
        0,
      );
      await pause.click();
      expect(await pause.getAttribute('aria-pressed')).toBe('false');
      // A click works as well as a look.
      await page.getByRole('button', { name: 'Water' }).click();
      expect(await page.getByTestId('dwell-history').textContent()).toMatch(/^Chosen: Water/);
      await page.waitForTimeout(800);
      await page.screenshot({ path: join(OUTPUT_DIR, 'dwell.png') });
    });

    it('leaves the live view working', async () => {
      await page.getByRole('link', { name: 'Live view' }).click();
      await page
        .locator('[data-testid="face-state"][data-state="found"]')
        .waitFor({ timeout: 10_000 });
      await page.getByRole('button', { name: 'Stop' }).click();
      await page.getByRole('button', { name: 'Start tracking' }).waitFor();
    });
  },
);
