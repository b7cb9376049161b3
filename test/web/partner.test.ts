/**
 * Partners → TikTok in Chromium (spec §8 "partner"; issue 17 item 3), against `cohort serve` and the
 * TikTok emulator as processes: an admin connects through the emulator's consent page and picks ad
 * accounts; a viewer sees the connection but none of the admin's controls, and the API refuses the
 * viewer's own attempt; when the emulator revokes the token the page says so and Reconnect mends it.
 * The tests run in order on one workspace: each starts from the connection the previous one left.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard, type WatchedPage } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';
import { SEED } from '../support/tiktok.ts';

const [US, EU] = SEED.advertisers;

/**
 * assertClean, except for what TikTok's own consent page loads (the emulator's origin, its favicon's 404):
 * leaving for TikTok and coming back is the point of Connect; what TikTok's page fetches is TikTok's business.
 */

/** On TikTok's (the emulator's) consent page: one checkbox per ad account, then Confirm; back on the partner page. */
async function consentOnTikTok(page: Page, d: Dashboard): Promise<void> {
  await page.waitForURL(`${d.emulatorUrl}/portal/auth**`);
  expect(await page.getByRole('checkbox', { name: 'Acme US' }).isChecked()).toBe(true);
  expect(await page.getByRole('checkbox', { name: 'Acme EU' }).isChecked()).toBe(true);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForURL(`${d.url}/partners/tiktok**`);
  await page.getByText('Connected', { exact: true }).waitFor();
}

describe.skipIf(browserMissing !== null)(`web: partner page${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let admin: SessionApi;
  let adminPage: WatchedPage;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
    adminPage = await newWatchedPage(browser, dashboard.url);
    adminPage.allowOrigin(dashboard.emulatorUrl); // TikTok's consent page (the emulator) is visited on purpose
    await signInContext(adminPage.context, admin);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('an admin connects through TikTok’s consent page and picks the ad accounts to sync to', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const { page } = adminPage;
    // The callback's ?error=<code> in words; anything else in the query is never repeated on the page.
    await page.goto('/partners/tiktok?error=access_denied');
    await page.getByRole('alert').filter({ hasText: 'TikTok was not connected: the consent was cancelled on TikTok.' }).waitFor();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    await page.goto(`/partners/tiktok?error=${encodeURIComponent('<b>Call +1 555 0100 to restore access</b>')}`);
    expect(await page.getByRole('alert').innerText()).toBe('TikTok was not connected. Start connecting again.');

    await page.goto('/partners/tiktok');
    await page.getByText('Not connected', { exact: true }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    // This serve talks to an emulator process with app credentials, as to real TikTok: no emulator badge.
    expect((await admin.call('GET', '/api/partners/tiktok')).body.emulator).toBe(false);
    expect(await page.getByText('Built-in TikTok emulator').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save ad accounts' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Connect TikTok' }).click();
    await consentOnTikTok(page, dashboard);
    // The callback's ?connected=1 said in words, then taken out of the address so a reload does not repeat it.
    await page.getByRole('status').filter({ hasText: 'TikTok is connected' }).waitFor();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    expect(await page.getByRole('button', { name: 'Connect TikTok' }).count()).toBe(0);

    // One checkbox per granted ad account, named by the account; TikTok granted both, so both start picked.
    expect(await page.getByRole('checkbox').count()).toBe(2);
    await page.getByRole('checkbox', { name: 'Acme EU', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'Acme US', exact: true }).check();
    await page.getByRole('button', { name: 'Save ad accounts' }).click();
    await page.getByRole('status').filter({ hasText: 'Ad accounts saved' }).waitFor();
    const saved = (await admin.call('GET', '/api/partners/tiktok')).body;
    expect(saved.advertisers).toEqual([
      { advertiser_id: US, advertiser_name: 'Acme US', selected: true },
      { advertiser_id: EU, advertiser_name: 'Acme EU', selected: false },
    ]);

    await page.reload();
    await page.getByText('Connected', { exact: true }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Acme US', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Acme EU', exact: true }).isChecked()).toBe(false);
    expect(await page.getByText('TikTok is connected').count()).toBe(0);
    await checkA11y(page);
    await screenshot(page, 'partner');

    // A phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    // Runs in the page, whose document Node's types do not know.
    const scrollWidth = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await screenshot(page, 'partner-mobile');
    await page.setViewportSize({ width: 1280, height: 800 });
    await adminPage.assertClean();
  });

  it('a viewer sees the connection read-only, and the API refuses the viewer’s own connect with 403', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const invited = await admin.call('POST', '/api/members', { email: 'viewer@example.com', role: 'viewer' });
    expect(invited.status).toBe(201);
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      const { page } = watched;
      await page.goto(invited.body.sign_in_path as string);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.goto('/partners/tiktok');
      await page.getByText('Connected', { exact: true }).waitFor();
      await page.getByText('Acme US', { exact: true }).waitFor();
      expect(await page.getByRole('listitem').filter({ hasText: 'Acme US' }).innerText()).toContain('selected');
      expect(await page.getByRole('listitem').filter({ hasText: 'Acme EU' }).innerText()).toContain('not selected');
      // Controls a viewer may not use are absent, not disabled.
      for (const name of ['Connect TikTok', 'Reconnect', 'Disconnect', 'Save ad accounts']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
      expect(await page.getByRole('checkbox').count()).toBe(0);

      // The API, not just the page: the viewer's browser asking to connect is refused.
      watched.expectStatus(403, '/api/partners/tiktok/connect');
      const status = await page.evaluate(async () => {
        const session = (await (await fetch('/api/session')).json()) as { csrf_token: string };
        const res = await fetch('/api/partners/tiktok/connect', { method: 'POST', headers: { 'x-csrf-token': session.csrf_token } });
        return res.status;
      });
      expect(status).toBe(403);
      expect((await admin.call('GET', '/api/partners/tiktok')).body.status).toBe('connected');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('when TikTok stops accepting the token the page says so, and Reconnect mends it; Disconnect asks first', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const { page } = adminPage;
    // TikTok revokes the token (plain fetch, as TikTok's admin would: the emulator refuses a browser's request).
    const revoked = await fetch(`${dashboard.emulatorUrl}/_emulator/tokens/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ all: true }) });
    expect(await revoked.json()).toEqual({ revoked: 1 });
    // Cohort notices at its next TikTok call, e.g. listing an ad account's audiences (an Audience Sync editor does).
    const listed = await admin.call('GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`);
    expect(listed.status).toBe(409);
    expect(listed.body.error.code).toBe('tiktok_token_invalid');

    await page.goto('/partners/tiktok');
    await page.getByText('Invalid token', { exact: true }).waitFor();
    const alert = page.getByRole('alert');
    expect(await alert.innerText()).toContain('token');
    await page.getByText('TikTok says the token was revoked').waitFor();
    expect(await page.getByRole('button', { name: 'Connect TikTok' }).count()).toBe(0);
    await checkA11y(page);
    await screenshot(page, 'partner-invalid-token');

    await page.getByRole('button', { name: 'Reconnect' }).click();
    await consentOnTikTok(page, dashboard);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reconnect' }).count()).toBe(0);
    // The picked ad accounts survive a reconnect.
    expect(await page.getByRole('checkbox', { name: 'Acme US', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Acme EU', exact: true }).isChecked()).toBe(false);
    expect((await admin.call('GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(200);

    // Disconnect stops syncing, so it asks: Cancel changes nothing, Confirm disconnects.
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await admin.call('GET', '/api/partners/tiktok')).body.status).toBe('connected');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Not connected', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Connect TikTok' }).waitFor();
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect((await admin.call('GET', '/api/partners/tiktok')).body).toMatchObject({ status: 'disconnected', advertisers: [] });
    await adminPage.assertClean();
  });
});
