// A page of another origin than the gazertc server, as a researcher's experiment would be: a tiny
// HTTP server on a free port, named http://localhost:PORT (the gazertc server is
// http://127.0.0.1:PORT, so the two are distinct origins), serving the test's pages and jsPsych's
// files straight from app/node_modules (the pinned versions). The gazertc server then runs with
// --allow-origin for it. Also: the clip's frame rate, which the sample counts are checked against.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { APP_DIR, PYTHON, VIDEO, freePort, startHarness, type Harness } from './harness';

declare global {
  interface Window {
    /** What a test experiment leaves on the page: done once jsPsych finished, with its results. */
    experiment?: { done: boolean };
  }
}

/** The vendor files an experiment loads from ./vendor/, from app/node_modules (MIT): the list the
 * app's build copies next to the example experiment. */
export const VENDOR_FILES = JSON.parse(
  readFileSync(join(APP_DIR, 'scripts/jspsych-vendor-files.json'), 'utf8'),
) as Readonly<Record<string, string>>;

export interface SecondOrigin {
  /** http://localhost:PORT */
  origin: string;
  /** Serve `body` at `path` (e.g. /webgazer.html) as `contentType`. */
  addFile(path: string, body: string, contentType: 'text/html' | 'text/javascript'): void;
  close(): Promise<void>;
}

/** An HTML page that loads `scripts` in order (and jsPsych's stylesheet). */
export function pageWithScripts(title: string, scripts: readonly string[]): string {
  const tags = scripts.map((src) => `<script src="${src}"></script>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/vendor/jspsych.css">
${tags}
</head><body></body></html>`;
}

export async function startSecondOrigin(): Promise<SecondOrigin> {
  const port = await freePort();
  const files = new Map<string, { body: string; contentType: string }>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/favicon.ico') {
      // Browsers ask for it; a 404 would be a console error in every test.
      response.writeHead(204).end();
      return;
    }
    const file = files.get(path);
    if (file !== undefined) {
      response.writeHead(200, { 'Content-Type': `${file.contentType}; charset=utf-8` });
      response.end(file.body);
      return;
    }
    const vendor = path.startsWith('/vendor/')
      ? VENDOR_FILES[path.slice('/vendor/'.length)]
      : undefined;
    if (vendor === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = vendor.endsWith('.css') ? 'text/css' : 'text/javascript';
    readFile(join(APP_DIR, 'node_modules', vendor)).then(
      (body) => {
        response.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` });
        response.end(body);
      },
      () => {
        response.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(port, '127.0.0.1', listening);
  });
  return {
    origin: `http://localhost:${port}`,
    addFile: (path, body, contentType) => {
      files.set(path, { body, contentType });
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      }),
  };
}

/** The second origin and the gazertc server that allows it, with Chromium and the fake camera. */
export async function startCrossOrigin(options: {
  fakeCameraFrames: number;
  viewport: { width: number; height: number };
}): Promise<{ second: SecondOrigin; harness: Harness; close(): Promise<void> }> {
  const second = await startSecondOrigin();
  try {
    const harness = await startHarness({
      ...options,
      serverArgs: ['--allow-origin', second.origin],
    });
    return {
      second,
      harness,
      close: async () => {
        await harness.close();
        await second.close();
      },
    };
  } catch (error) {
    await second.close();
    throw error;
  }
}

/** The fake camera's frame rate: the clip's (make_y4m.py writes it into the .y4m header). */
export async function clipFps(): Promise<number> {
  const { stdout } = await promisify(execFile)(PYTHON, [
    '-c',
    'import sys, cv2; print(cv2.VideoCapture(sys.argv[1]).get(cv2.CAP_PROP_FPS))',
    VIDEO,
  ]);
  const fps = Number(stdout.trim());
  if (!(fps > 0)) throw new Error(`cannot read the frame rate of ${VIDEO}: ${stdout}`);
  return fps;
}

/** Longer console messages are cut in the log (CSP reports quote whole data: URLs). */
const MAX_LOGGED_CHARS = 300;

/** Forward the page's errors and warnings to the test log. */
export function forwardConsole(page: {
  on(event: 'pageerror', listener: (error: Error) => void): unknown;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): unknown;
}): void {
  page.on('pageerror', (error) => {
    console.error(`page error: ${error.message}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      const text = message.text();
      const shown = text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}...` : text;
      console.error(`page console ${message.type()}: ${shown}`);
    }
  });
}

/** The server's address in a script URL of {@link startExperiment}. */
export const SERVER = '{server}';

export interface Experiment {
  cross: Awaited<ReturnType<typeof startCrossOrigin>>;
  page: Page;
  /** The fake camera's frame rate. */
  fps: number;
  /**
   * Open the experiment's page, do `interact` (what a participant does, if anything), wait until
   * jsPsych finished; returns `window.experiment`.
   */
  run(timeoutMs: number, interact?: (page: Page) => Promise<void>): Promise<unknown>;
}

/**
 * A jsPsych experiment page on the second origin, `/${name}.html`: `scripts` in order (a URL
 * starting with {@link SERVER} is on the gazertc server), then `experiment` as /experiment.js.
 */
export async function startExperiment(options: {
  name: string;
  title: string;
  scripts: readonly string[];
  experiment: string;
  fakeCameraFrames: number;
  viewport: { width: number; height: number };
}): Promise<Experiment> {
  const fps = await clipFps();
  const cross = await startCrossOrigin(options);
  const { second, harness } = cross;
  second.addFile('/experiment.js', options.experiment, 'text/javascript');
  const scripts = options.scripts.map((src) => src.replace(SERVER, harness.baseUrl));
  second.addFile(
    `/${options.name}.html`,
    pageWithScripts(options.title, [...scripts, '/experiment.js']),
    'text/html',
  );
  const page = await harness.context.newPage();
  forwardConsole(page);
  return {
    cross,
    page,
    fps,
    run: async (timeoutMs, interact) => {
      await page.goto(`${second.origin}/${options.name}.html`);
      await interact?.(page);
      await page.waitForFunction(() => window.experiment?.done === true, null, {
        timeout: timeoutMs,
      });
      return page.evaluate(() => window.experiment);
    },
  };
}
