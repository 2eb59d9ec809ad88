// Hands-free use in a real browser (issue 13): tracking that starts on page load for someone who
// opted in, with no click, and pages that fit a phone's width. Real server and headless Chromium
// with the fake camera (harness.ts; the camera permission is granted by Chromium's flags, so
// navigator.permissions says 'granted'). Skipped, saying why, only where the shared data is absent.
// Screenshots: test-output/e2e/handsfree-*.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_DIR, SKIP_REASON, startHarness, type Harness } from './harness';

/** 6 s of the clip, looped by Chromium: the face is found throughout. */
const FAKE_CAMERA_FRAMES = 150;
const DESKTOP_VIEWPORT = { width: 1120, height: 760 };
/** A small phone held upright (iPhone X/11 Pro/12 mini class). */
const PHONE_VIEWPORT = { width: 375, height: 812 };
const OTHER_VIEWPORTS = [
  { width: 360, height: 740 },
  { width: 768, height: 1024 },
] as const;
const HANDS_FREE_KEY = 'gazertc.hands-free.v1';
const TRACKING_TIMEOUT_MS = 20_000;

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

/** How far a page is wider than its viewport, and the elements that stick out, if any. */
interface Overflow {
  page: string;
  scrollWidth: number;
  clientWidth: number;
  /** The innermost elements whose right edge passes the viewport (at most a few). */
  offenders: string[];
}

async function measureOverflow(page: Page, label: string): Promise<Overflow> {
  const measured = await page.evaluate(() => {
    const root = document.documentElement;
    const limit = root.clientWidth + 0.5;
    const offenders: string[] = [];
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.right <= limit) continue;
      // Only the innermost: the elements whose own content sticks out, not their containers.
      const children = Array.from(element.children);
      if (children.some((child) => child.getBoundingClientRect().right > limit)) continue;
      const testId = element.getAttribute('data-testid');
      const classes = typeof element.className === 'string' ? element.className : '';
      offenders.push(
        `${element.tagName.toLowerCase()}${classes === '' ? '' : `.${classes.split(' ').join('.')}`}` +
          `${testId === null ? '' : `[${testId}]`} right ${Math.round(box.right)}px`,
      );
      if (offenders.length >= 10) break;
    }
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, offenders };
  });
  return { page: label, ...measured };
}

async function faceFound(page: Page): Promise<void> {
  await page
    .locator('[data-testid="face-state"][data-state="found"]')
    .waitFor({ timeout: TRACKING_TIMEOUT_MS });
}

const SUITE = 'hands-free start and small screens in headless Chromium against the real server';

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let harness: Harness | null = null;
    let baseUrl = '';

    beforeAll(async () => {
      mkdirSync(OUTPUT_DIR, { recursive: true });
      harness = await startHarness({
        fakeCameraFrames: FAKE_CAMERA_FRAMES,
        viewport: DESKTOP_VIEWPORT,
      });
      baseUrl = harness.baseUrl;
    });

    afterAll(async () => {
      await harness?.close();
    });

    function newPage(context: BrowserContext): Promise<Page> {
      return context.newPage().then((page) => {
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
        return page;
      });
    }

    it('once opted in, a new page starts tracking with no click, and says how to stop that', async () => {
      if (harness === null) throw new Error('no harness');
      const { context } = harness;
      const first = await newPage(context);
      await first.goto(`${baseUrl}/`);
      await first.getByLabel('Start tracking when this page opens').check();
      await first.getByRole('button', { name: 'Turn on camera' }).click();
      await first.getByTestId('granted-video').waitFor({ timeout: 10_000 });
      await first.getByRole('button', { name: 'Start tracking' }).click();
      await faceFound(first);
      // Opted in while tracking by hand: no auto-start notice on this page.
      expect(await first.getByTestId('auto-start-notice').count()).toBe(0);
      const stored = await first.evaluate(
        (key) => window.localStorage.getItem(key),
        HANDS_FREE_KEY,
      );
      const saved = JSON.parse(stored ?? 'null') as {
        v: number;
        auto_start: boolean;
        device_id: unknown;
      };
      expect(saved.v).toBe(1);
      expect(saved.auto_start).toBe(true);
      expect(typeof saved.device_id).toBe('string');
      await first.close({ runBeforeUnload: true });

      // A new page in the same browser profile: no click at all.
      const second = await newPage(context);
      await second.goto(`${baseUrl}/`);
      await faceFound(second);
      const notice = second.getByTestId('auto-start-notice');
      expect(await notice.textContent()).toMatch(
        /Tracking started by itself because .Start tracking when this page opens. is on/,
      );
      await second.screenshot({ path: join(OUTPUT_DIR, 'handsfree-autostarted.png') });
      // Turning it off: said so, forgotten, and the next page waits for a click.
      await notice.getByRole('button', { name: 'Turn off automatic start' }).click();
      expect(await notice.textContent()).toMatch(/Automatic start is off/);
      expect(
        await second.evaluate((key) => window.localStorage.getItem(key), HANDS_FREE_KEY),
      ).toBeNull();
      await second.close({ runBeforeUnload: true });

      const third = await newPage(context);
      await third.goto(`${baseUrl}/`);
      await third.getByRole('button', { name: 'Turn on camera' }).waitFor({ timeout: 10_000 });
      // Long enough for an auto-start to have begun: it would have asked for the camera by now.
      await third.waitForTimeout(1500);
      expect(await third.getByRole('button', { name: 'Turn on camera' }).count()).toBe(1);
      expect(await third.getByLabel('Start tracking when this page opens').isChecked()).toBe(false);
      await third.close();
    });

    it('fits a 375 px wide phone screen: no page scrolls sideways', async () => {
      if (harness === null) throw new Error('no harness');
      const context = await harness.browser.newContext({
        viewport: PHONE_VIEWPORT,
        deviceScaleFactor: 1,
      });
      const results: Overflow[] = [];
      try {
        const page = await newPage(context);
        await page.goto(`${baseUrl}/`);
        await page.getByRole('button', { name: 'Turn on camera' }).waitFor({ timeout: 10_000 });
        results.push(await measureOverflow(page, 'start screen, camera off'));
        for (const hash of ['#/calibrate', '#/dwell']) {
          await page.goto(`${baseUrl}/${hash}`);
          await page.getByRole('button', { name: 'Turn on camera' }).waitFor({ timeout: 10_000 });
          results.push(await measureOverflow(page, `${hash} before tracking`));
        }
        await page.goto(`${baseUrl}/#/`);
        await page.getByRole('button', { name: 'Turn on camera' }).click();
        await page.getByTestId('granted-video').waitFor({ timeout: 10_000 });
        // The camera list comes with the grant: a long camera name must not widen the page.
        await page.getByLabel('Camera to use').waitFor({ timeout: 10_000 });
        results.push(await measureOverflow(page, 'start screen, camera on'));
        await page.getByRole('button', { name: 'Start tracking' }).click();
        await faceFound(page);
        results.push(await measureOverflow(page, 'live view, tracking'));
        await page.screenshot({ path: join(OUTPUT_DIR, 'handsfree-live-375.png'), fullPage: true });
        // The narrowest common phone, and a tablet held upright.
        for (const viewport of OTHER_VIEWPORTS) {
          await page.setViewportSize(viewport);
          await page.waitForTimeout(200);
          results.push(await measureOverflow(page, `live view, tracking, ${viewport.width} px`));
        }
        await page.setViewportSize(PHONE_VIEWPORT);
        for (const hash of ['#/calibrate', '#/dwell']) {
          // Following the page links keeps the session (a reload would end it).
          await page.locator(`a.nav-link[href="${hash}"]`).click();
          await page.waitForFunction((expected) => window.location.hash === expected, hash);
          await page.waitForTimeout(300);
          results.push(await measureOverflow(page, `${hash} while tracking`));
          await page.screenshot({
            path: join(OUTPUT_DIR, `handsfree-${hash.slice(2)}-375.png`),
            fullPage: true,
          });
        }
        const printed = /\/monitor#token=([A-Za-z0-9_-]+)/.exec(harness.serverLog());
        if (printed !== null) {
          const monitor = await newPage(context);
          await monitor.goto(`${baseUrl}/monitor#token=${printed[1] ?? ''}`);
          await monitor.getByTestId('monitor-session').first().waitFor({ timeout: 10_000 });
          results.push(await measureOverflow(monitor, 'monitor, one session'));
          await monitor.screenshot({
            path: join(OUTPUT_DIR, 'handsfree-monitor-375.png'),
            fullPage: true,
          });
        }
      } finally {
        await context.close();
      }
      console.log(
        results
          .map((r) => `${r.page}: scrollWidth ${r.scrollWidth} / clientWidth ${r.clientWidth}`)
          .join('\n'),
      );
      expect(results.length).toBeGreaterThanOrEqual(10);
      expect(results.filter((r) => r.scrollWidth > r.clientWidth)).toEqual([]);
    });
  },
);
