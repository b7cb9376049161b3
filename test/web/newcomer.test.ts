/**
 * The newcomer's path of issue 17, in Chromium against `cohort serve` and the TikTok emulator as
 * processes: first-run setup → Connect TikTok → the emulator's consent page → back on the partner page,
 * choose an ad account → new canvas (api entry) → add an Audience Sync step → create a new audience,
 * tick Email and Phone → Launch → 1,000 users tracked and triggered by a script → the analytics page,
 * open all along, shows Users Synced equal to the users with a usable email or phone, without a reload.
 * Only the script part uses the API directly; everything else is clicks and typing by accessible name.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { sessionApi } from '../support/dashboard-api.ts';

const USERS = 1_000;

/** Every 4th user has an email, every 5th a phone, every 7th a bad email only: the rest have nothing usable. */
function users() {
  const attributes = [];
  let usable = 0;
  for (let i = 0; i < USERS; i++) {
    const a: Record<string, string> = { external_id: `newcomer-${i}` };
    if (i % 4 === 0) a.email = `Person.${i}@Example.com`;
    if (i % 5 === 0) a.phone = `+1 415 555 ${String(1000 + i).padStart(4, '0')}`;
    if (i % 7 === 0 && !a.email) a.email = 'not-an-email';
    if (i % 4 === 0 || i % 5 === 0) usable++;
    attributes.push(a);
  }
  return { attributes, usable };
}

describe.skipIf(browserMissing)('dashboard: the newcomer path in a browser', () => {
  let dashboard: Dashboard;
  let browser: Browser;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('setup → connect → audience sync step → launch → users synced, live', async () => {
    const { page, assertClean, allowOrigin, expectStatus } = await newWatchedPage(browser, dashboard.url);
    expectStatus(401, '/api/session'); // nobody is signed in on the first visit
    allowOrigin(dashboard.emulatorUrl); // TikTok's consent page (the emulator) is part of the walk

    // First visit: no member exists, so Cohort asks for the first workspace and admin.
    await page.goto(`${dashboard.url}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Workspace name', { exact: true }).fill('Acme Growth');
    await page.getByLabel('Email', { exact: true }).fill('growth@acme.test');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await screenshot(page, 'newcomer-setup');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    // Partners → TikTok: Connect, consent on the emulator's page, back here connected.
    await page.goto(`${dashboard.url}/partners/tiktok`);
    await page.getByText('Not connected').waitFor();
    expect(await page.getByText('Built-in TikTok emulator').count()).toBe(0); // an external emulator process: TIKTOK_APP_ID is set
    await page.getByRole('button', { name: 'Connect TikTok' }).click();
    await page.waitForURL(`${dashboard.emulatorUrl}/portal/auth**`);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${dashboard.url}/partners/tiktok**`);
    await page.getByText('Connected', { exact: true }).waitFor();
    await page.getByRole('checkbox', { name: 'Acme US' }).check();
    await page.getByRole('button', { name: 'Save ad accounts' }).click();
    await page.getByText(/saved/i).first().waitFor();
    expect(await page.getByRole('checkbox', { name: 'Acme US' }).isChecked()).toBe(true);
    await screenshot(page, 'newcomer-partner');

    // A new canvas with an api entry and an Audience Sync step into a new audience.
    await page.getByRole('link', { name: 'Canvases' }).click();
    await page.getByRole('button', { name: 'New canvas' }).click();
    await page.waitForURL(/\/canvases\/[^/]+$/);
    const canvasId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByLabel('Name', { exact: true }).fill('Newcomer retarget');
    await page.getByRole('radio', { name: 'API' }).check();
    await page.getByRole('button', { name: 'Add step' }).click();
    await page.getByRole('menuitem', { name: 'Audience Sync' }).click();
    await page.getByLabel('Ad account', { exact: true }).selectOption({ label: 'Acme US' });
    const audienceName = `Newcomers ${Date.now()}`;
    await page.getByRole('combobox', { name: 'Audience' }).fill(audienceName);
    await page.getByRole('button', { name: 'Create audience' }).click();
    await page.getByText(/Created audience/).waitFor();
    await page.getByRole('checkbox', { name: 'Email', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Phone', exact: true }).check();
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.getByText('Active', { exact: true }).waitFor();
    await screenshot(page, 'newcomer-canvas');

    // The analytics page stays open while a script tracks and triggers the users.
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.waitForURL(`**/canvases/${canvasId}/analytics`);
    await page.getByRole('columnheader', { name: 'Users Synced' }).waitFor();
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const cookie = (await page.context().cookies()).find((c) => c.name === 'cohort_session')!.value;
    const api = await sessionApi(dashboard.url, cookie);
    const { attributes, usable } = users();
    const tracked = await api.call('POST', '/api/users/track', { attributes });
    expect(tracked.body.attributes_processed).toBe(USERS);
    const sent = await api.call('POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: attributes.map((a) => ({ external_user_id: a.external_id })) });
    expect(sent.status).toBe(201);

    // Users Synced, in the step's row, reaches every usable user; the rest are Users Not Synced.
    const cell = async (column: string) => {
      const headers = await page.getByRole('columnheader').allTextContents();
      const row = page.getByRole('row').filter({ hasText: /Audience Sync|sync/ }).first();
      return (await row.getByRole('cell').nth(headers.indexOf(column)).textContent())?.replace(/[^\d]/g, '');
    };
    await expect.poll(() => cell('Users Synced'), { timeout: 30_000 }).toBe(String(usable));
    expect(await cell('Entered')).toBe(String(USERS));
    expect(await cell('Users Not Synced')).toBe(String(USERS - usable));
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await checkA11y(page);
    await screenshot(page, 'newcomer-analytics');
    await assertClean();
  }, 120_000);
});
