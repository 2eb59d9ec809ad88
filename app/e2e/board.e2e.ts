// The talk board (#/dwell) in a real browser: the real server, headless Chromium and the fake
// camera (a real webcam clip). Choices are made with the mouse first (no calibration yet, so no
// dwell triggers and those steps are deterministic); the dwell logic itself is covered by the
// unit tests. A test hook, injected before the page loads, replaces
// speechSynthesis.speak to record what the board says into window.__spoken.
// At the end the board's Recalibrate runs a dwell calibration for real, and the drift
// correction's reset goes to the server and back. Screenshots: test-output/e2e/board-wide.png,
// board-narrow.png, board-keyboard-narrow.png, board-edit-narrow.png, board-calibrated.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, SKIP_REASON, startHarness, type Harness } from './harness';

/** 6 s of the clip (Chromium loops it): the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const VIEWPORT = { width: 1120, height: 760 };
/** A small phone held upright. */
const NARROW_VIEWPORT = { width: 375, height: 800 };
/** Long enough for a dwell (1 s) on whatever the gaze rests on, and the server's answer. */
const DRIFT_WATCH_MS = 4000;

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

declare global {
  interface Window {
    __spoken?: string[];
  }
}

/** The test hook: record each utterance instead of speaking it (headless has no audio). */
function recordSpeech(): void {
  window.__spoken = [];
  const synthesis = window.speechSynthesis as SpeechSynthesis | undefined;
  if (synthesis === undefined) return;
  synthesis.speak = (utterance: SpeechSynthesisUtterance): void => {
    window.__spoken?.push(utterance.text);
  };
}

async function spoken(page: Page): Promise<string[]> {
  return page.evaluate(() => window.__spoken ?? []);
}

/** Wait until the board has said `text` (the last utterance). */
async function waitForSpeech(page: Page, text: string): Promise<void> {
  await page.waitForFunction((expected) => window.__spoken?.at(-1) === expected, text, {
    timeout: 5_000,
  });
}

/** Camera on, tracking started, connection live. */
async function goLive(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Turn on camera' }).click();
  await page.getByRole('button', { name: 'Start tracking' }).click();
  await page
    .locator('[data-testid="connection-state"][data-phase="live"]')
    .waitFor({ timeout: 20_000 });
  await page.getByTestId('dwell-page').waitFor();
}

/** How far the page reaches past the viewport's width (0: no sideways scrolling). */
async function horizontalOverflowPx(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
}

const SUITE = 'the talk board in headless Chromium';

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let harness: Harness;
    let page: Page;

    beforeAll(async () => {
      mkdirSync(OUTPUT_DIR, { recursive: true });
      harness = await startHarness({ fakeCameraFrames: FAKE_CAMERA_FRAMES, viewport: VIEWPORT });
      await harness.context.addInitScript(recordSpeech);
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

    it('speaks a phrase button when it is clicked', async () => {
      await page.goto(`${harness.baseUrl}/#/dwell`);
      await goLive(page);
      expect(await page.getByTestId('board-no-speech').count()).toBe(0);
      expect(await page.getByTestId('dwell-button').count()).toBe(6);
      await page.getByRole('button', { name: 'Water', exact: true }).click();
      await waitForSpeech(page, 'Could I have some water, please?');
      expect(await page.getByTestId('dwell-history').textContent()).toBe('Chosen: Water');
      await page.screenshot({ path: join(OUTPUT_DIR, 'board-wide.png'), fullPage: true });
    });

    it('types on the keyboard and speaks the message', async () => {
      await page.getByTestId('board-tab-keyboard').click();
      const keyboard = page.getByRole('group', { name: 'Keyboard' });
      for (const key of ['H', 'I', 'Space']) {
        await keyboard.getByRole('button', { name: key, exact: true }).click();
      }
      expect(await page.getByTestId('board-message').textContent()).toBe('HI ');
      await keyboard.getByRole('button', { name: 'Speak', exact: true }).click();
      await waitForSpeech(page, 'HI');
      await page.getByTestId('board-tab-phrases').click();
    });

    it('keeps an edited button after a reload', async () => {
      await page.getByTestId('board-edit').click();
      const item = page.getByTestId('board-editor-item').first();
      await item.getByLabel('Label').fill('Tea');
      await item.getByLabel('Says').fill('A cup of tea, please.');
      await page.getByTestId('board-edit').click();
      await page.reload();
      await goLive(page);
      const tea = page.getByRole('button', { name: 'Tea', exact: true });
      await tea.click();
      await waitForSpeech(page, 'A cup of tea, please.');
      expect(await page.getByRole('button', { name: 'Yes', exact: true }).count()).toBe(0);
      // The utterances recorded since the reload: only this one.
      expect(await spoken(page)).toEqual(['A cup of tea, please.']);
    });

    it('fits a 375 px wide screen without scrolling sideways', async () => {
      await page.setViewportSize(NARROW_VIEWPORT);
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(done)));
      expect(await horizontalOverflowPx(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(OUTPUT_DIR, 'board-narrow.png'), fullPage: true });
      await page.getByTestId('board-tab-keyboard').click();
      expect(await horizontalOverflowPx(page)).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: join(OUTPUT_DIR, 'board-keyboard-narrow.png'),
        fullPage: true,
      });
      await page.getByTestId('board-edit').click();
      expect(await horizontalOverflowPx(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(OUTPUT_DIR, 'board-edit-narrow.png'), fullPage: true });
      await page.getByTestId('board-edit').click();
      await page.setViewportSize(VIEWPORT);
    });

    it('recalibrates by dwell from the board, then feeds and resets drift correction', async () => {
      await page.getByTestId('board-tab-phrases').click();
      await page.getByTestId('board-recalibrate').click();
      await page.waitForURL(/#\/calibrate$/);
      const settings = await page.evaluate(() =>
        localStorage.getItem('gazertc.calibration-settings.v1'),
      );
      expect(JSON.parse(settings ?? '{}')).toMatchObject({ mode: 'dwell' });
      // Dwell mode: the targets complete on steady gaze, and the clip's gaze is steady.
      const result = page.getByTestId('calibration-result');
      await result.waitFor({ timeout: 90_000 });
      // The clip's person looks at the camera, so the fit is poor and waits to be accepted.
      // Started by a look, so the page goes on without hands: a poor fit is retried by itself
      // after a countdown, a fit in use returns to the board.
      const followUp = page.getByTestId('hands-free-follow-up');
      if ((await result.getAttribute('data-applied')) === 'false') {
        await expect.poll(() => followUp.textContent()).toMatch(/Trying again by itself in \d+ s/);
        await result.getByRole('button', { name: 'Use it anyway' }).click();
      }
      await page
        .locator('[data-testid="calibration-result"][data-applied="true"]')
        .waitFor({ timeout: 10_000 });
      await expect.poll(() => followUp.textContent()).toMatch(/Back to the board in \d+ s/);
      await page.waitForURL(/#\/dwell$/, { timeout: 15_000 });
      await page.getByTestId('dwell-page').waitFor();
      expect(await page.getByTestId('dwell-uncalibrated').count()).toBe(0);
      // The gaze rests where the clip's person looks; when that is on a phrase, it is chosen
      // by dwell and reported: the server answers with its drift status.
      await page.waitForTimeout(DRIFT_WATCH_MS);
      const status = page.getByTestId('board-drift-status');
      const history = (await page.getByTestId('dwell-history').textContent()) ?? '';
      console.log(`after ${DRIFT_WATCH_MS} ms of gaze: ${history} / ${await status.textContent()}`);
      if (history.startsWith('Chosen:')) {
        expect(['accepted', 'rejected']).toContain(await status.getAttribute('data-last'));
      }
      await page.screenshot({ path: join(OUTPUT_DIR, 'board-calibrated.png'), fullPage: true });
      await page.getByRole('button', { name: 'Reset drift correction' }).click();
      await page
        .locator('[data-testid="board-drift-status"][data-last="reset"]')
        .waitFor({ timeout: 5_000 });
      expect(await status.textContent()).toMatch(/^No correction, from 0 looks\. /);
    });
  },
);
