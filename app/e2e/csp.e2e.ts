// The built app under the server's Content-Security-Policy, in a real browser: the page loads,
// tracks with the fake camera (the protocol validators run on every message), and the monitor
// page opens, all without one CSP violation; and the policy is really enforced (a page script's
// `new Function` is refused and reported), so the check would see one. Real server (harness.ts),
// headless Chromium. Skipped, saying why, only where the shared data is absent.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_REASON, startHarness, type Harness } from './harness';

/** 4 s of the clip, looped by Chromium. */
const FAKE_CAMERA_FRAMES = 100;
const VIEWPORT = { width: 1120, height: 760 };

if (SKIP_REASON !== null) console.warn(`e2e skipped: ${SKIP_REASON}`);

interface Violation {
  directive: string;
  blocked: string;
  source: string;
}

declare global {
  interface Window {
    cspViolations: Violation[];
  }
}

/** Collect the page's CSP violations (before any of its scripts run) and console errors. */
async function watch(page: Page, consoleErrors: string[]): Promise<void> {
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations.push({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: `${event.sourceFile}:${event.lineNumber}`,
      });
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}

const SUITE = "the built app under the server's Content-Security-Policy in headless Chromium";

describe.skipIf(SKIP_REASON !== null)(
  SKIP_REASON === null ? SUITE : `${SUITE} (skipped: ${SKIP_REASON})`,
  () => {
    let harness: Harness | null = null;
    let page: Page;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      harness = await startHarness({ fakeCameraFrames: FAKE_CAMERA_FRAMES, viewport: VIEWPORT });
      page = await harness.context.newPage();
      await watch(page, consoleErrors);
    });

    afterAll(async () => {
      await harness?.close();
    });

    it('serves the page with a policy that allows no eval and no inline script', async () => {
      const response = await page.goto(`${harness?.baseUrl ?? ''}/`);
      const policy = (await response?.allHeaders())?.['content-security-policy'] ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-eval');
      expect(policy).not.toContain('unsafe-inline');
    });

    it('tracks with the fake camera without a violation', async () => {
      await page.getByRole('button', { name: 'Turn on camera' }).click();
      await page.getByTestId('granted-video').waitFor({ timeout: 10_000 });
      await page.getByRole('button', { name: 'Start tracking' }).click();
      await page.locator('[data-testid="face-state"][data-state="found"]').waitFor({
        timeout: 20_000,
      });
      expect(await page.evaluate(() => window.cspViolations)).toEqual([]);
      expect(consoleErrors).toEqual([]);
    });

    it('opens the monitor page without a violation', async () => {
      const monitor = await harness?.context.newPage();
      if (monitor === undefined) throw new Error('no browser context');
      const errors: string[] = [];
      await watch(monitor, errors);
      // The host token `gazertc serve` printed at start: the page then asks for the sessions.
      const token = /#token=([A-Za-z0-9_-]+)/.exec(harness?.serverLog() ?? '')?.[1] ?? '';
      await monitor.goto(`${harness?.baseUrl ?? ''}/monitor#token=${token}`);
      // The tracking participant's card: the page has fetched and drawn the sessions.
      await monitor.getByTestId('monitor-session').waitFor({ timeout: 10_000 });
      expect(await monitor.evaluate(() => window.cspViolations)).toEqual([]);
      expect(errors).toEqual([]);
      await monitor.close();
    });

    it('enforces the policy: eval and inline scripts are refused and reported', async () => {
      // A same-origin script (allowed) that tries eval; Playwright's own evaluate is exempt.
      const probe = `${harness?.baseUrl ?? ''}/csp-probe.js`;
      await page.route(probe, (route) =>
        route.fulfill({
          contentType: 'text/javascript',
          body: "try { new Function('return 1')(); window.evalOutcome = 'ran'; } catch (error) { window.evalOutcome = error.name; }",
        }),
      );
      await page.evaluate((src) => {
        const allowed = document.createElement('script');
        allowed.src = src;
        document.head.append(allowed);
        const inline = document.createElement('script');
        inline.textContent = "window.evalOutcome = 'inline ran';";
        document.head.append(inline);
      }, probe);
      await page.waitForFunction(() => 'evalOutcome' in window);
      expect(await page.evaluate(() => (window as { evalOutcome?: string }).evalOutcome)).toBe(
        'EvalError',
      );
      await page.waitForFunction(() => window.cspViolations.length >= 2);
      const violations = await page.evaluate(() => window.cspViolations);
      expect(violations.map((violation) => violation.blocked).sort()).toEqual(['eval', 'inline']);
    });
  },
);
