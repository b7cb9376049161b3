/**
 * The API keys page in Chromium (issue #19 item 7, spec §8 "API keys"), against `cohort serve` and the
 * TikTok emulator as processes. A workspace set up in the browser has no API key until an admin makes
 * one here; a script (fetch with the key) plays the part of the marketer's importer.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { sessionApi, setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';

const TEST_TIMEOUT = 60_000;
type Browser = Awaited<ReturnType<typeof openBrowser>>;

/** What the importer script does with its key: track one user. */
async function scriptTracks(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/api/users/track`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ attributes: [{ external_id: 'imported-1', email: 'imported@example.com' }] }),
  });
  return res.status;
}

/** A member signed in through a one-time link, as a script (for a second browser context). */
async function memberApi(admin: SessionApi, email: string, role: 'viewer' | 'editor'): Promise<SessionApi> {
  const invited = await admin.call('POST', '/api/members', { email, role });
  expect(invited.status).toBe(201);
  const token = (invited.body.sign_in_path as string).split('#')[1]!;
  const res = await fetch(`${admin.url}/api/session/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = /cohort_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`link sign-in answered ${res.status} without a session`);
  return sessionApi(admin.url, cookie);
}

const scrollWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);

describe.skipIf(browserMissing !== null)(`web: API keys page${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let admin: SessionApi;

  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('an admin makes a key named Importer, shown once; a script uses it; Last used shows it; Revoke → Confirm stops it at once', { timeout: TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      const { page, context } = watched;
      await signInContext(context, admin);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.url });
      await page.goto('/canvases');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
      await page.waitForURL('**/settings/api-keys');
      // A workspace set up in the browser has no key yet.
      await page.getByText('No API keys yet.', { exact: false }).waitFor();

      await page.getByRole('button', { name: 'New API key' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Importer');
      await page.getByRole('button', { name: 'Create API key' }).click();
      const keyField = page.getByLabel('API key', { exact: true });
      await keyField.waitFor();
      const key = await keyField.inputValue();
      expect(key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
      await page.getByText('Copy it now: Cohort stores only its hash and cannot show it again', { exact: false }).waitFor();
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
      expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(key);

      const table = page.getByRole('table', { name: 'API keys of this workspace, newest first' });
      expect((await table.getByRole('columnheader').allTextContents()).slice(0, 3)).toEqual(['Name', 'Created', 'Last used']);
      const row = table.getByRole('row').filter({ has: page.getByRole('cell', { name: 'Importer', exact: true }) });
      await row.getByRole('cell', { name: 'Never', exact: true }).waitFor();
      await checkA11y(page);
      await screenshot(page, 'api-keys-new');

      // Done hides it, and nothing on the page shows it again.
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await keyField.count()).toBe(0);
      expect(await page.content()).not.toContain(key);

      // The importer script uses the key; after a reload the row says when.
      expect(await scriptTracks(dashboard.url, key)).toBe(200);
      await page.reload();
      await row.waitFor();
      const lastUsed = row.getByRole('cell').nth(2);
      await lastUsed.locator('time').waitFor();
      expect(await lastUsed.textContent()).not.toBe('Never');
      expect(await lastUsed.locator('time').getAttribute('title')).toBeTruthy();
      expect(await page.content()).not.toContain(key);
      await checkA11y(page);
      await screenshot(page, 'api-keys');
      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => scrollWidth(page)).toBeLessThanOrEqual(390);
      await screenshot(page, 'api-keys-phone');
      await page.setViewportSize({ width: 1280, height: 800 });

      // Revoke asks first; Cancel keeps the key.
      await row.getByRole('button', { name: 'Revoke' }).click();
      await row.getByRole('button', { name: 'Cancel' }).click();
      expect(await scriptTracks(dashboard.url, key)).toBe(200);
      await row.getByRole('button', { name: 'Revoke' }).click();
      await row.getByText('Revoke “Importer”?', { exact: false }).waitFor();
      await screenshot(page, 'api-keys-revoke');
      await row.getByRole('button', { name: 'Confirm' }).click();
      await page.getByRole('status').filter({ hasText: 'Revoked “Importer”' }).waitFor();
      await expect.poll(() => row.count()).toBe(0);
      // The script's very next request is refused.
      expect(await scriptTracks(dashboard.url, key)).toBe(401);

      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('a viewer is told only admins manage keys: no button, no link, and the page does not ask the API', { timeout: TEST_TIMEOUT }, async () => {
    const viewer = await memberApi(admin, 'keys.viewer@example.com', 'viewer');
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      const { page, context } = watched;
      await signInContext(context, viewer);
      const asked: string[] = [];
      page.on('request', (req) => {
        if (new URL(req.url()).pathname.startsWith('/api/api-keys')) asked.push(req.url());
      });
      await page.goto('/settings/api-keys');
      await page.getByText('Only admins manage API keys', { exact: false }).waitFor();
      expect(await page.getByRole('button', { name: 'New API key' }).count()).toBe(0);
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).count()).toBe(0);
      await checkA11y(page);
      await watched.assertClean();
      expect(asked).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
