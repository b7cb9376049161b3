/**
 * The dashboard as a first visitor meets it (spec §8): a fresh Cohort sends `/` to first-run setup,
 * whose form has the spec's accessible names, passes axe, and loads without an error of any kind.
 * Real processes (cohort serve with the built bundle, the TikTok emulator) and a real Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';

describe.skipIf(browserMissing !== null)(`web: smoke${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('a fresh Cohort opens on first-run setup, with its labelled fields, accessible and without errors', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      const { page } = watched;
      // Nobody is signed in yet: the app asks who is, hears 401, and goes to setup.
      watched.expectStatus(401, '/api/session');
      await page.goto('/');
      await expect.poll(() => new URL(page.url()).pathname).toBe('/setup');
      await page.getByRole('heading', { level: 1, name: 'Set up Cohort' }).waitFor();
      for (const label of ['Workspace name', 'Email', 'Password']) expect(await page.getByLabel(label, { exact: true }).count(), label).toBe(1);
      expect(await page.getByRole('button', { name: 'Create workspace' }).isEnabled()).toBe(true);
      expect(await page.title()).toContain('Set up Cohort');
      await screenshot(page, 'smoke-setup');
      await checkA11y(page);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
