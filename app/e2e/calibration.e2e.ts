// Calibration, validation, the saved calibration and the dwell page in a real browser: the real
// server, headless Chromium and the fake camera (a real webcam clip). The clip's person looks at
// the camera, never at the targets, so the calibration must be reported poor and not applied:
// the page says it did not work, no screen point arrives, nothing is saved. "Use it anyway"
// then applies it (samples carry screen points, it is saved marked poor); the validation
// (targets advance with the key press, which needs no particular gaze) shows its verdict, the
// page has no horizontal overflow at 375 px wide, and after a reload the saved calibration
// loads again, not validated. Screenshots: test-output/e2e/calibration-target.png,
// calibration-poor.png, calibration-result.png, calibration-narrow.png and dwell.png.

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
/** A phone's width: the page must not scroll sideways. */
const NARROW_VIEWPORT = { width: 375, height: 760 };
/** How long the page is watched for a screen point that must not come. */
const NO_POINT_WATCH_MS = 2000;

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
async function resultOrProblem(page: Page, testId: string, timeoutMs = 20_000): Promise<void> {
  const outcome = await Promise.race([
    page
      .getByTestId(testId)
      .waitFor({ timeout: timeoutMs })
      .then(() => 'result'),
    page
      .getByTestId('calibration-problem')
      .waitFor({ timeout: timeoutMs })
      .then(() => 'problem'),
  ]);
  if (outcome === 'problem') {
    throw new Error(
      `the server answered: ${await page.getByTestId('calibration-problem').textContent()}`,
    );
  }
}

/** What the gaze cursor saw of the samples: no-point, avoiding (over a chart) or shown. */
function cursorState(page: Page): Promise<string | null> {
  return page.getByTestId('gaze-cursor').getAttribute('data-state');
}

/** At a phone's width the calibration page (results shown) fits: no sideways scrolling. */
async function expectNoOverflowWhenNarrow(page: Page, screenshot: string): Promise<void> {
  await page.setViewportSize(NARROW_VIEWPORT);
  try {
    await page.getByTestId('calibration-result').waitFor();
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    await page.screenshot({ path: join(OUTPUT_DIR, screenshot), fullPage: true });
    expect(widths.client).toBe(NARROW_VIEWPORT.width);
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  } finally {
    await page.setViewportSize(VIEWPORT);
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
      // The app marks the current page after it renders the route: wait for it.
      const current = (name: string) =>
        nav.getByRole('link', { name }).getAttribute('aria-current');
      await expect.poll(() => current('Live view'), { timeout: 5000 }).toBe('page');
      await nav.getByRole('link', { name: 'Calibrate' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/calibrate$/);
      await expect.poll(() => current('Calibrate'), { timeout: 5000 }).toBe('page');
      await goLive(page);
      await page.getByRole('heading', { name: 'Calibration', level: 1 }).waitFor();
      expect(await page.getByTestId('saved-calibration').getAttribute('data-state')).toBe('none');
      expect(await page.getByTestId('screen-geometry').textContent()).toContain(
        `${VIEWPORT.width}×${VIEWPORT.height} CSS px at 1×`,
      );
    });

    it('calibrates by dwell with the clip, which ignores the targets: poor, not applied', async () => {
      await page.getByLabel('Time per target').selectOption(TARGET_MS);
      await page.getByLabel('Full screen while calibrating').uncheck();
      await page.getByLabel('By itself, after looking (dwell)').check();
      const started = Date.now();
      await page.getByRole('button', { name: 'Start calibration' }).click();
      await page.getByTestId('procedure').waitFor();
      await page
        .locator('[data-testid="procedure-target"][data-target-id="3"]')
        .waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(OUTPUT_DIR, 'calibration-target.png') });
      // The targets complete on steady gaze; the clip's gaze rests (on the camera), so they do.
      await resultOrProblem(page, 'calibration-result', 90_000);
      console.log(
        `dwell calibration: ${Date.now() - started} ms for ${CALIBRATION_TARGETS} targets`,
      );
      const result = page.getByTestId('calibration-result');
      expect(await result.getAttribute('data-applied')).toBe('false');
      const verdict = page.getByTestId('calibration-verdict');
      expect(await verdict.getAttribute('data-quality')).toBe('poor');
      const verdictText = (await verdict.textContent()) ?? '';
      expect(verdictText).toContain('Calibration did not work');
      expect(verdictText).toContain('Hold your head still');
      const reason = (await page.getByTestId('calibration-verdict-reason').textContent()) ?? '';
      expect(reason.length).toBeGreaterThan(0);
      console.log(
        `verdict: ${reason}; LOTO ${await page.getByTestId('fit-loto-error').textContent()}`,
      );
      expect(await page.getByTestId('fit-chart').getByTestId('chart-target').count()).toBe(
        CALIBRATION_TARGETS,
      );
      // Not in use and not saved: nothing says so, nothing is stored, no screen point comes.
      expect(await page.getByTestId('saved-calibration').getAttribute('data-state')).toBe('none');
      expect(await page.locator('body').textContent()).not.toMatch(/calibration saved/i);
      expect(await page.evaluate(() => localStorage.getItem('gazertc.calibration.v1'))).toBeNull();
      expect(await result.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
      const watchUntil = Date.now() + NO_POINT_WATCH_MS;
      while (Date.now() < watchUntil) {
        expect(await cursorState(page)).toBe('no-point');
        await page.waitForTimeout(100);
      }
      await page.screenshot({ path: join(OUTPUT_DIR, 'calibration-poor.png'), fullPage: true });
      await expectNoOverflowWhenNarrow(page, 'calibration-narrow-poor.png');
    });

    it('uses the poor calibration anyway: applied, screen points arrive, saved marked poor', async () => {
      const result = page.getByTestId('calibration-result');
      await result.getByRole('button', { name: 'Use it anyway' }).click();
      await page
        .locator('[data-testid="calibration-result"][data-applied="true"]')
        .waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('calibration-verdict').textContent()).toContain(
        'In use although it did not work well',
      );
      expect(await page.getByTestId('calibration-verdict').getAttribute('data-quality')).toBe(
        'poor',
      );
      // Samples now carry screen points (the cursor shows them, or hides over a chart).
      await page.waitForFunction(
        () => {
          const state = document
            .querySelector('[data-testid="gaze-cursor"]')
            ?.getAttribute('data-state');
          return state === 'shown' || state === 'avoiding';
        },
        undefined,
        { timeout: 10_000 },
      );
      // Wherever the gaze lands, the drawn cursor never covers the result chart.
      const watchUntil = Date.now() + NO_POINT_WATCH_MS;
      while (Date.now() < watchUntil) {
        const covers = await page.evaluate(() => {
          const cursor = document.querySelector('[data-testid="gaze-cursor"]');
          const chart = document.querySelector('[data-testid="fit-chart"]');
          if (cursor === null || chart === null) return 'missing';
          if (getComputedStyle(cursor).display === 'none') return false;
          const a = cursor.getBoundingClientRect();
          const b = chart.getBoundingClientRect();
          return a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;
        });
        expect(covers).toBe(false);
        await page.waitForTimeout(100);
      }
      const saved = page.getByTestId('saved-calibration');
      expect(await saved.getAttribute('data-state')).toBe('saved');
      expect(await saved.getAttribute('data-quality')).toBe('poor');
      const stored = await page.evaluate(() => localStorage.getItem('gazertc.calibration.v1'));
      expect(JSON.parse(stored ?? '{}')).toMatchObject({
        model: { format: 'gazertc.calibration/1', screen: { width_px: VIEWPORT.width } },
        quality: 'poor',
      });
    });

    it('validates on 5 other targets and charts accuracy, precision and the samples', async () => {
      await page.getByLabel('Key press (Space or Enter)').check();
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
      const verdict = page.getByTestId('validation-verdict');
      expect(['good', 'fair', 'poor']).toContain(await verdict.getAttribute('data-quality'));
      console.log(`validation verdict: ${await verdict.textContent()}`);
      await page.getByTestId('validation-result').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUTPUT_DIR, 'calibration-result.png'), fullPage: true });
      await expectNoOverflowWhenNarrow(page, 'calibration-narrow.png');
    });

    it('loads the saved calibration again after a reload', async () => {
      await page.reload();
      await goLive(page);
      await page
        .locator('[data-testid="saved-calibration"][data-state="loaded"]')
        .waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('saved-calibration').textContent()).toMatch(
        /^Loaded the calibration saved on .*rated poor when made.*not validated in this session/,
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
      // Paused, no button fills (the next sample redraws them).
      await page.waitForFunction(
        () =>
          document.querySelectorAll('[data-testid="dwell-button"][data-dwell="active"]').length ===
          0,
        undefined,
        { timeout: 2000 },
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
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByRole('button', { name: 'Start tracking' }).waitFor();
    });
  },
);
