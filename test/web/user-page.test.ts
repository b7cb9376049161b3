/**
 * The user page in Chromium (issue #19 item 6, spec §8 "user"): **External ID** and **Look up**, then the
 * profile, the canvas entry and the Audience Sync outcome with its reason, against `cohort serve` and
 * the TikTok emulator as processes. A script tracks and triggers the users, as a marketer's would; the
 * rest is typed and read in the browser by the spec's accessible names.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { connectTikTok, sessionApi, setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';
import { SEED } from '../support/tiktok.ts';

const TEST_TIMEOUT = 60_000;
const [ACME_US] = SEED.advertisers;
const AUDIENCE = 'Café regulars';
const CANVAS = 'Welcome <b>back</b>';
/** Each id travels through a form, the address bar and the API path: a slash, a space, an é, and the characters a URL gives meaning to. */
const WITH_EMAIL = 'shop/42 é';
const WITHOUT_EMAIL = 'lead?#50%2F off';
const FAILING = 'Ping the CRM';
const HOSTILE = '<img src=x onerror=alert(1)>';

/** An active canvas (api entry): Audience Sync (email only) into a new audience, then a delay of an hour that holds the users. */
async function launchedCanvas(admin: SessionApi): Promise<string> {
  const audience = await admin.call('POST', '/api/partners/tiktok/audiences', { advertiser_id: ACME_US, name: AUDIENCE });
  expect(audience.status).toBe(201);
  const created = await admin.call('POST', '/api/canvases', {
    name: CANVAS,
    entry: { type: 'api' },
    audience: null,
    first_step: 'tiktok',
    steps: [
      { id: 'tiktok', type: 'audience_sync', next: 'wait', config: { partner: 'tiktok', advertiser_id: ACME_US, audience_id: audience.body.audience_id, action: 'add', fields: ['email'] } },
      { id: 'wait', type: 'delay', next: null, config: { seconds: 3600 } },
    ],
  });
  expect(created.status).toBe(201);
  const launched = await admin.call('POST', `/api/canvases/${created.body.id}/launch`);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return created.body.id as string;
}

/**
 * An active canvas whose webhook body repeats the trigger's context past the render cap (1,000,000
 * characters): the entry fails at the step, alone, with `template_too_large`.
 */
async function failingCanvas(admin: SessionApi): Promise<string> {
  const created = await admin.call('POST', '/api/canvases', {
    name: FAILING,
    entry: { type: 'api' },
    audience: null,
    first_step: 'ping',
    steps: [{ id: 'ping', type: 'webhook', next: null, config: { url: 'https://crm.example.test/hook', method: 'POST', body: { copies: Array.from({ length: 11 }, () => '{{context.big}}') } } }],
  });
  expect(created.status).toBe(201);
  const launched = await admin.call('POST', `/api/canvases/${created.body.id}/launch`);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return created.body.id as string;
}

/** A member signed in through a one-time link, as a script (for a second browser context). */
async function viewerApi(admin: SessionApi, email: string): Promise<SessionApi> {
  const invited = await admin.call('POST', '/api/members', { email, role: 'viewer' });
  expect(invited.status).toBe(201);
  const token = (invited.body.sign_in_path as string).split('#')[1]!;
  const res = await fetch(`${admin.url}/api/session/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = /cohort_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`link sign-in answered ${res.status} without a session`);
  return sessionApi(admin.url, cookie);
}

async function lookUp(page: Page, externalId: string): Promise<void> {
  await page.getByLabel('External ID', { exact: true }).fill(externalId);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.waitForURL((url) => url.pathname === `/users/${encodeURIComponent(externalId)}`);
}

/** A profile attribute's value, by its name in the definition list. */
async function attribute(page: Page, name: string): Promise<string> {
  const term = page.locator('dl.attributes dt').filter({ hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  return (await term.locator('xpath=following-sibling::dd[1]').textContent()) ?? '';
}

const syncTable = (page: Page) => page.getByRole('table', { name: 'This user’s Audience Sync items, newest first' });
const entriesTable = (page: Page) => page.getByRole('table', { name: 'Canvases this user entered, newest first' });

describe.skipIf(browserMissing !== null)(`web: the user page${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let admin: SessionApi;
  let canvasId: string;

  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
    await connectTikTok(admin, dashboard.emulatorUrl, [ACME_US]);
    canvasId = await launchedCanvas(admin);
    const tracked = await admin.call('POST', '/api/users/track', {
      attributes: [
        { external_id: WITH_EMAIL, email: 'ana.lima@example.com', first_name: 'Ana', country: 'BR', ads_tracking_enabled: true, nickname: HOSTILE, plan: 'gold', visits: 12, prefs: { sms: false, tags: ['coffee', 'cake'] } },
        // A phone, but the step sends email only: nothing to match on.
        { external_id: WITHOUT_EMAIL, phone: '+1 415 555 0100', first_name: 'Bo' },
      ],
    });
    expect(tracked.body).toMatchObject({ attributes_processed: 2 });
    const sent = await admin.call('POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: [{ external_user_id: WITH_EMAIL }, { external_user_id: WITHOUT_EMAIL }] });
    expect(sent.status).toBe(201);
    const failing = await admin.call('POST', '/api/canvas/trigger/send', { canvas_id: await failingCanvas(admin), recipients: [{ external_user_id: WITHOUT_EMAIL, context: { big: 'x'.repeat(100_000) } }] });
    expect(failing.status).toBe(201);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('looks users up by exact external ID: profile, canvas entry and sync outcome with its reason; an unknown id is said so', { timeout: TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    const { page, context } = watched;
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await signInContext(context, admin);
      await page.goto('/canvases');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
      await page.waitForURL('**/users');
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

      // The user with an email: synced once the sender's next round has sent them (every few seconds).
      await lookUp(page, WITH_EMAIL);
      await page.getByRole('heading', { level: 1, name: `User ${WITH_EMAIL}` }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Profile' }).waitFor();
      expect(await attribute(page, 'External ID')).toBe(WITH_EMAIL);
      expect(await attribute(page, 'Email')).toBe('ana.lima@example.com');
      expect(await attribute(page, 'First name')).toBe('Ana');
      expect(await attribute(page, 'Last name')).toBe('Not set');
      expect(await attribute(page, 'Ads tracking enabled')).toBe('Yes');
      expect(await attribute(page, 'plan')).toBe('gold');
      expect(await attribute(page, 'visits')).toBe('12');
      expect(JSON.parse(await attribute(page, 'prefs'))).toEqual({ sms: false, tags: ['coffee', 'cake'] });
      // Markup in a value is text: no element made of it, no script run.
      expect(await attribute(page, 'nickname')).toBe(HOSTILE);
      expect(await page.locator('main img').count()).toBe(0);

      const entry = entriesTable(page).getByRole('row').filter({ has: page.getByRole('link', { name: CANVAS }) });
      await entry.waitFor();
      expect(await entry.getByRole('link', { name: CANVAS }).getAttribute('href')).toBe(`/canvases/${canvasId}`);
      expect(await entry.getByRole('cell').nth(1).textContent()).toBe('Active');
      // The delay after the sync step holds them: the journey did not wait for TikTok.
      expect(await entry.getByRole('cell').nth(2).textContent()).toBe('At waitDelay');

      const item = syncTable(page).getByRole('row').filter({ has: page.getByRole('link', { name: CANVAS }) });
      await item.getByRole('cell', { name: 'Synced', exact: true }).waitFor({ timeout: 30_000 });
      expect(await item.getByRole('cell').nth(1).textContent()).toBe('tiktokAudience Sync');
      // Names, not TikTok's ids: the audience and the ad account it is in.
      expect(await item.getByRole('cell').nth(4).textContent()).toBe(`${AUDIENCE}in Acme US`);
      expect(await item.getByRole('cell').nth(5).textContent()).toBe('Add to audience');
      expect(await item.getByRole('cell').nth(7).locator('time').count()).toBe(1);
      expect(await item.getByRole('cell').nth(8).textContent()).toBe('No failed attempts');
      // Which identifier was sent stays after the outcome is final; the hashes do not, and the page says so.
      expect(await item.getByRole('cell').nth(9).textContent()).toMatch(/^email\s+Hashes are not kept once the outcome is final\.$/);
      expect(dialogs).toEqual([]);
      await checkA11y(page);
      await screenshot(page, 'user');
      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'user-mobile');
      await page.setViewportSize({ width: 1280, height: 800 });

      // The user without an email: not synced, and why, in words; the field keeps the id looked at.
      expect(await page.getByLabel('External ID', { exact: true }).inputValue()).toBe(WITH_EMAIL);
      await lookUp(page, WITHOUT_EMAIL);
      await page.getByRole('heading', { level: 1, name: `User ${WITHOUT_EMAIL}` }).waitFor();
      const notSynced = syncTable(page).getByRole('row').filter({ has: page.getByRole('link', { name: CANVAS }) });
      await notSynced.getByRole('cell', { name: 'Not synced', exact: true }).waitFor();
      expect(await notSynced.getByRole('cell').nth(3).textContent()).toMatch(/^missing_fields: none of the fields this step sends \(email, phone, IDFA, GAID\) was present and usable/);
      expect(await notSynced.getByRole('cell').nth(9).textContent()).toBe('None (no usable identifier)');
      expect(await attribute(page, 'Email')).toBe('Not set');
      expect(await attribute(page, 'Phone')).not.toBe('Not set');
      expect(await page.getByText('No custom attributes.').count()).toBe(1);
      // Their other canvas failed at its webhook step: where, and why in words.
      const failed = entriesTable(page).getByRole('row').filter({ has: page.getByRole('link', { name: FAILING }) });
      await failed.waitFor();
      expect(await failed.getByRole('cell').nth(1).textContent()).toBe('Failedtemplate_too_large: the webhook body became too large');
      expect(await failed.getByRole('cell').nth(2).textContent()).toBe('Failed at pingWebhook');
      await screenshot(page, 'user-not-synced');

      // The address works on its own (a reload, a shared link): the id comes back exactly.
      await page.goto(`/users/${encodeURIComponent(WITH_EMAIL)}`);
      await page.getByRole('heading', { level: 1, name: `User ${WITH_EMAIL}` }).waitFor();
      expect(await attribute(page, 'External ID')).toBe(WITH_EMAIL);

      // An id nobody tracked: said in words, with the id as text.
      const unknown = 'nobody <here>';
      watched.expectStatus(404, `/api/users/${encodeURIComponent(unknown)}`);
      await lookUp(page, unknown);
      await page.getByRole('alert').filter({ hasText: `No user with external ID “${unknown}” in this workspace` }).waitFor();
      expect(await page.getByRole('heading', { level: 2, name: 'Profile' }).count()).toBe(0);
      expect(await page.locator('main here').count()).toBe(0);
      await checkA11y(page);
      expect(dialogs).toEqual([]);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('a viewer finds Users in the menu and reads the same user', { timeout: TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      await signInContext(watched.context, await viewerApi(admin, 'reader@example.com'));
      const { page } = watched;
      await page.goto('/users');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).waitFor();
      await lookUp(page, WITHOUT_EMAIL);
      await syncTable(page).getByRole('cell', { name: 'Not synced', exact: true }).waitFor();
      expect(await attribute(page, 'First name')).toBe('Bo');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
