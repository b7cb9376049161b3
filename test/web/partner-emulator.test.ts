/**
 * The partner page on a Cohort without TikTok app credentials (spec §5, §8): `cohort serve` then talks to
 * its built-in TikTok emulator, and the page says so ("Built-in TikTok emulator — no data reaches TikTok")
 * before and after connecting through that emulator's consent page. A serve of its own, since the
 * dashboard of test/support/browser.ts talks to an emulator process as to real TikTok.
 */
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot } from '../support/browser.ts';
import { cleanEnv, exitOf, startCohort, waitForLine } from '../support/cli.ts';
import { setupAdmin, signInContext } from '../support/dashboard-api.ts';
import { freshSqliteFile } from '../support/databases.ts';

const BADGE = 'Built-in TikTok emulator — no data reaches TikTok';

describe.skipIf(browserMissing !== null)(`web: partner page on the built-in emulator${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let db: ReturnType<typeof freshSqliteFile> | undefined;
  let serve: ChildProcess | undefined;
  let url: string;
  let browser: Browser;
  beforeAll(async () => {
    db = freshSqliteFile();
    serve = startCohort(['serve', '--port', '0', '--database', db.url], cleanEnv({ TIKTOK_EMULATOR_PORT: '0', COHORT_SECRET_KEY: 'a-test-secret-key-that-is-long-enough-0123456789' }));
    const [listening, opened] = await Promise.all([waitForLine(serve, /cohort listening on (http:\/\/127\.0\.0\.1:\d+)/), openBrowser()]);
    url = listening[1]!;
    browser = opened;
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    if (serve && serve.exitCode === null) {
      const exited = exitOf(serve);
      serve.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
  });

  it('says that no data reaches TikTok, before and after connecting', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const admin = await setupAdmin(url);
    expect((await admin.call('GET', '/api/partners/tiktok')).body).toMatchObject({ status: 'disconnected', emulator: true });
    const watched = await newWatchedPage(browser, url);
    try {
      const { page } = watched;
      await signInContext(watched.context, admin);
      await page.goto('/partners/tiktok');
      await page.getByText(BADGE).waitFor();
      await page.getByText('Not connected', { exact: true }).waitFor();
      await checkA11y(page);
      await screenshot(page, 'partner-emulator');

      await page.getByRole('button', { name: 'Connect TikTok' }).click();
      await page.waitForURL('**/portal/auth**');
      const tiktok = new URL(page.url()).origin;
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(`${url}/partners/tiktok**`);
      await page.getByText('Connected', { exact: true }).waitFor();
      expect(await page.getByText(BADGE).count()).toBe(1);
      // The built-in emulator's consent page is another origin, as TikTok's is: what it loads is not the dashboard's.
      await page.waitForLoadState('networkidle', { timeout: 10_000 });
      expect(watched.problems().filter((line) => !line.includes(tiktok))).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
