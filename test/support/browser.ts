/**
 * Browser tests of the dashboard (spec §8): Debian's Chromium driven by playwright-core against a real
 * `cohort serve` (with the built web bundle) and the TikTok emulator, each its own process.
 *
 * A page is watched: a console error, an uncaught page error, a failed request, a request to another
 * origin or an answer >= 400 that the test did not declare is a failure (`assertClean`), because a user
 * would notice it or the app hides it. Accessibility is checked with axe-core.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { exitOf, REPO_ROOT } from './cli.ts';
import { freshSqliteFile } from './databases.ts';
import { startEmulatorProcess, startServe } from './processes.ts';

export const CHROMIUM = '/usr/bin/chromium';
const BUILT_INDEX = join(REPO_ROOT, 'web', 'dist', 'index.html');
const RESULTS = join(REPO_ROOT, 'test-results');

/**
 * Why browser suites are skipped here, or null: `describe.skipIf(browserMissing !== null)`. Only a
 * developer's machine skips; under CI this is null even without Chromium, so `openBrowser` fails.
 */
export const browserMissing: string | null = existsSync(CHROMIUM) || process.env.CI ? null : `${CHROMIUM} is not installed (apt-get install chromium)`;

/** A per-test timeout for browser tests (vitest's default of 30 s is for the rest). */
export const BROWSER_TEST_TIMEOUT = 90_000;

export interface Dashboard {
  /** `cohort serve`, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The TikTok emulator process that serve talks to. */
  emulatorUrl: string;
  stop(): Promise<void>;
}

/** The emulator and `cohort serve` (on a fresh SQLite file, serving web/dist) as separate processes. */
export async function startDashboard(): Promise<Dashboard> {
  if (!existsSync(BUILT_INDEX)) throw new Error(`${BUILT_INDEX} is missing: the dashboard is not built; run npm run build:web`);
  const children: ChildProcess[] = [];
  const db = freshSqliteFile();
  const stop = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    await db.drop();
  };
  try {
    const emulator = await startEmulatorProcess(children);
    const serve = await startServe(children, { database: db.url, emulatorUrl: emulator.url });
    if (!serve.url) throw new Error('cohort serve started without an API address');
    return { url: serve.url, emulatorUrl: emulator.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGTERM, then SIGKILL if it has not exited in 10 s (a hung shutdown must not hang the suite). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Chromium, headless; call once per test file (beforeAll) and close it in afterAll. */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed (apt-get install chromium); browser tests do not skip under CI`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Declares an answer the test expects, e.g. `expectStatus(403, '/api/partners/tiktok/connect')` (path exact, or a RegExp on path + query). */
  expectStatus(status: number, path: string | RegExp): void;
  /**
   * Pages of another origin the test visits on purpose (TikTok's consent page: the emulator): what they
   * load or answer is theirs, not the dashboard's, so it is not counted.
   */
  allowOrigin(url: string): void;
  /** What went wrong so far, one line each. */
  problems(): string[];
  /** Waits for the network to settle, then fails listing every problem. */
  assertClean(): Promise<void>;
  close(): Promise<void>;
}

const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

/** A fresh context (1280×800, `baseURL` = the dashboard) and page, watched for everything a user would notice going wrong. */
export async function newWatchedPage(browser: Browser, baseUrl: string): Promise<WatchedPage> {
  const origin = new URL(baseUrl).origin;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: baseUrl });
  const page = await context.newPage();
  const expected: { status: number; path: string | RegExp }[] = [];
  const allowed = new Set<string>([origin]);
  const found: string[] = [];
  /** A URL for a problem line: never its query, which can hold an OAuth state or code. */
  const shown = (url: string): string => {
    try {
      const u = new URL(url);
      return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
    } catch {
      return '(unparseable URL)';
    }
  };
  const foreign = (url: string): boolean => {
    try {
      const u = new URL(url);
      return u.origin !== origin && allowed.has(u.origin);
    } catch {
      return false;
    }
  };
  const isExpected = (status: number, url: string): boolean => {
    const u = new URL(url);
    return u.origin === origin && expected.some((e) => e.status === status && (typeof e.path === 'string' ? u.pathname === e.path : e.path.test(`${u.pathname}${u.search}`)));
  };

  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium also logs every answer >= 400 as a console error: one the test declared is not a problem.
    const failed = FAILED_RESOURCE.exec(msg.text());
    if (failed && isExpected(Number(failed[1]), msg.location().url)) return;
    if (msg.location().url && foreign(msg.location().url)) return;
    found.push(`console error: ${msg.text()}${msg.location().url ? ` (${shown(msg.location().url)})` : ''}`);
  });
  context.on('weberror', (error) => found.push(`page error: ${error.error().message}`));
  context.on('request', (req) => {
    const url = new URL(req.url());
    if (!allowed.has(url.origin) && url.protocol !== 'data:' && url.protocol !== 'blob:') found.push(`request to another origin: ${req.method()} ${shown(req.url())}`);
  });
  context.on('requestfailed', (req) => {
    // A page the test leaves aborts what it was still loading: its favicon, or a navigation the next one replaced.
    const abandoned = req.failure()?.errorText === 'net::ERR_ABORTED' && (req.isNavigationRequest() || new URL(req.url()).pathname === '/favicon.svg');
    if (!abandoned && !foreign(req.url())) found.push(`request failed: ${req.method()} ${shown(req.url())}: ${req.failure()?.errorText ?? 'unknown'}`);
  });
  context.on('response', (res) => {
    if (res.status() >= 400 && !foreign(res.url()) && !isExpected(res.status(), res.url())) found.push(`answer ${res.status()}: ${res.request().method()} ${shown(res.url())}`);
  });

  return {
    context,
    page,
    expectStatus: (status, path) => void expected.push({ status, path }),
    allowOrigin: (url) => void allowed.add(new URL(url).origin),
    problems: () => [...found],
    async assertClean() {
      for (const p of context.pages()) await p.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => found.push(`network still busy after 10 s on ${p.url()}`));
      if (found.length > 0) throw new Error(`the browser saw problems:\n${found.join('\n')}`);
    },
    close: () => context.close(),
  };
}

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: { target: unknown[] }[];
}

const AXE_SCRIPT = join(dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js');

/** Runs axe-core on the page as it is now; fails on any serious or critical violation, and returns every violation. */
export async function checkA11y(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol, not added as a <script>: the app's CSP (script-src 'self') rightly
  // refuses inline scripts, and the test must not loosen it (no bypassCSP) to check the page.
  await page.evaluate(readFileSync(AXE_SCRIPT, 'utf8'));
  const violations = await page.evaluate(async () => {
    // Runs in the page: axe-core's global (injected just above) and the document, which Node's types do not know.
    const page = globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const result = await page.axe.run(page.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lines = serious.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  if (lines.length > 0) throw new Error(`axe found serious or critical violations on ${page.url()}:\n${lines.join('\n')}`);
  return violations;
}

/** A full-page PNG in test-results/<name>.png, for a person to look at after the run. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use lowercase letters, digits and dashes`);
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
