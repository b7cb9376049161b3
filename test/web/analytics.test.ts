/**
 * The analytics and members pages in Chromium (issue #17 item 5, spec §8 "analytics" and "members"),
 * against `cohort serve` and the TikTok emulator as processes. Scripts play the part a script plays for
 * a marketer (tracking and triggering users, TikTok deleting an audience); the rest is what a person
 * sees and clicks, found by the spec's accessible names.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { connectTikTok, sessionApi, setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';
import { emulatorAdmin, SEED } from '../support/tiktok.ts';

const TEST_TIMEOUT = 60_000;
const [ACME_US] = SEED.advertisers;
const COLUMNS = ['Step', 'Entered', 'Proceeded to Next Step', 'Users Synced', 'Users Not Synced', 'Users Pending', 'Users Errored', 'Exited Canvas'];

/** An active canvas (api entry): an Audience Sync step (email, phone) into a new audience, then a delay of an hour. */
async function launchedCanvas(admin: SessionApi, name: string): Promise<{ canvasId: string; audienceId: string }> {
  const audience = await admin.call('POST', '/api/partners/tiktok/audiences', { advertiser_id: ACME_US, name });
  expect(audience.status).toBe(201);
  const audienceId = audience.body.audience_id as string;
  const created = await admin.call('POST', '/api/canvases', {
    name,
    entry: { type: 'api' },
    audience: null,
    first_step: 'tiktok',
    steps: [
      { id: 'tiktok', type: 'audience_sync', next: 'wait', config: { partner: 'tiktok', advertiser_id: ACME_US, audience_id: audienceId, action: 'add', fields: ['email', 'phone'] } },
      { id: 'wait', type: 'delay', next: null, config: { seconds: 3600 } },
    ],
  });
  expect(created.status).toBe(201);
  const canvasId = created.body.id as string;
  const launched = await admin.call('POST', `/api/canvases/${canvasId}/launch`);
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  return { canvasId, audienceId };
}

async function trackAndTrigger(api: SessionApi, canvasId: string, attributes: Record<string, string>[]): Promise<void> {
  const tracked = await api.call('POST', '/api/users/track', { attributes });
  expect(tracked.body.attributes_processed).toBe(attributes.length);
  const sent = await api.call('POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: attributes.map((a) => ({ external_user_id: a.external_id })) });
  expect(sent.status).toBe(201);
}

/** A step's number as the table shows it, by column header (digits only: the separators are the reader's locale's). */
async function cell(page: Page, stepId: string, column: string): Promise<string> {
  const table = page.getByRole('table', { name: 'Users per step' });
  const row = table.getByRole('row').filter({ has: page.getByText(stepId, { exact: true }) });
  const text = (await row.getByRole('cell').nth(COLUMNS.indexOf(column)).textContent()) ?? '';
  return text === '—' ? text : text.replace(/[^\d-]/g, '');
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

describe.skipIf(browserMissing !== null)(`web: analytics and members${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let admin: SessionApi;

  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
    await connectTikTok(admin, dashboard.emulatorUrl, [ACME_US]);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('shows each step’s numbers, reasons and chart, updating itself while users flow in', { timeout: TEST_TIMEOUT }, async () => {
    const { canvasId } = await launchedCanvas(admin, 'VIP <b>retarget</b>');
    const watched = await newWatchedPage(browser, dashboard.url);
    const { page, context } = watched;
    try {
      await signInContext(context, admin);
      await page.goto(`/canvases/${canvasId}/analytics`);
      const table = page.getByRole('table', { name: 'Users per step' });
      await table.getByRole('columnheader', { name: 'Users Synced' }).waitFor();
      expect(await table.getByRole('columnheader').allTextContents()).toEqual(COLUMNS);
      // The canvas name is text, markup and all.
      await page.getByRole('heading', { level: 1, name: /VIP <b>retarget<\/b>/ }).waitFor();
      expect(await page.locator('main b').count()).toBe(0);
      await page.getByText('No user has reached an Audience Sync step yet', { exact: false }).waitFor();
      // Runs in the page; the flag is gone if the page reloads.
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
      });

      // A script, as the member signed in in this browser: 45 users with an email or a phone, 15 with neither usable.
      const cookie = (await context.cookies()).find((c) => c.name === 'cohort_session')!.value;
      const script = await sessionApi(dashboard.url, cookie);
      const attributes = Array.from({ length: 60 }, (_, i) => {
        const a: Record<string, string> = { external_id: `analytics-${i}` };
        if (i < 30) a.email = `person.${i}@example.com`;
        if (i >= 20 && i < 45) a.phone = `+1 415 555 ${String(1000 + i)}`;
        if (i >= 50) a.email = 'not-an-email';
        return a;
      });
      await trackAndTrigger(script, canvasId, attributes);

      await expect.poll(() => cell(page, 'tiktok', 'Users Synced'), { timeout: 30_000 }).toBe('45');
      expect(await cell(page, 'tiktok', 'Entered')).toBe('60');
      expect(await cell(page, 'tiktok', 'Users Not Synced')).toBe('15');
      expect(await cell(page, 'tiktok', 'Users Pending')).toBe('0');
      expect(await cell(page, 'tiktok', 'Users Errored')).toBe('0');
      expect(await cell(page, 'tiktok', 'Proceeded to Next Step')).toBe('60');
      // The delay holds them; it has no sync numbers.
      expect(await cell(page, 'wait', 'Entered')).toBe('60');
      expect(await cell(page, 'wait', 'Users Synced')).toBe('—');
      expect(await cell(page, 'wait', 'Exited Canvas')).toBe('0');
      await page.getByText('none of the fields this step sends', { exact: false }).waitFor();
      expect(await page.getByRole('listitem').filter({ hasText: 'missing_fields' }).textContent()).toMatch(/^15 users missing_fields/);

      // The chart names its totals for those who cannot see it, and its legend says them as text.
      const chart = page.getByRole('img', { name: /45 synced, 15 not synced, 0 errored/ });
      await chart.waitFor();
      expect((await chart.locator('canvas').boundingBox())?.width).toBeGreaterThan(600);
      expect(await page.getByText('Synced: 45', { exact: true }).count()).toBe(1);
      expect(await page.getByText(/^Updated /).isVisible()).toBe(true);
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      // Nobody errored: nothing to retry.
      expect(await page.getByRole('button', { name: 'Retry errored users' }).count()).toBe(0);
      await checkA11y(page);
      await screenshot(page, 'analytics');
      // Pointing at a minute gives that minute's numbers; leaving the chart gives the totals again.
      await chart.hover();
      await page.getByText(/^At \d/).waitFor();
      await page.mouse.move(5, 5);
      await page.getByText('Totals over the 15 minutes shown').waitFor();

      // On a phone the table scrolls inside its box and the chart shrinks with the page.
      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(async () => (await chart.locator('canvas').boundingBox())?.width ?? 0).toBeLessThan(390);
      expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'analytics-phone');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('Retry errored users requeues a step’s errored users, for editors; viewers see the reasons without the button', { timeout: TEST_TIMEOUT }, async () => {
    const { canvasId, audienceId } = await launchedCanvas(admin, 'Deleted audience');
    // TikTok (the emulator) loses the audience: every user sent to it is errored at once.
    await emulatorAdmin(dashboard.emulatorUrl, `/audiences/${audienceId}/delete`, {});
    const watched = await newWatchedPage(browser, dashboard.url);
    const viewer = await newWatchedPage(browser, dashboard.url);
    try {
      const { page } = watched;
      await signInContext(watched.context, admin);
      await page.goto(`/canvases/${canvasId}/analytics`);
      await page.getByRole('table', { name: 'Users per step' }).waitFor();
      expect(await page.getByRole('button', { name: 'Retry errored users' }).count()).toBe(0);

      await trackAndTrigger(admin, canvasId, Array.from({ length: 7 }, (_, i) => ({ external_id: `gone-${i}`, email: `gone.${i}@example.com` })));
      const retry = page.getByRole('button', { name: 'Retry errored users' });
      await retry.waitFor({ timeout: 30_000 });
      expect(await cell(page, 'tiktok', 'Users Errored')).toBe('7');
      await page.getByText('TikTok says the audience no longer exists', { exact: false }).waitFor();
      expect(await page.getByRole('listitem').filter({ hasText: 'audience_not_found' }).textContent()).toMatch(/^7 users audience_not_found/);

      // A viewer reads the same reasons, without the button (the API would refuse them).
      const asViewer = await memberApi(admin, 'watcher@example.com', 'viewer');
      await signInContext(viewer.context, asViewer);
      await viewer.page.goto(`/canvases/${canvasId}/analytics`);
      await viewer.page.getByText('TikTok says the audience no longer exists', { exact: false }).waitFor();
      expect(await viewer.page.getByRole('button', { name: 'Retry errored users' }).count()).toBe(0);

      await retry.click();
      await page.getByRole('status').filter({ hasText: 'Requeued 7 users' }).waitFor();
      await screenshot(page, 'analytics-retried');
      await viewer.assertClean();
      await watched.assertClean();
    } finally {
      await watched.close();
      await viewer.close();
    }
  });

  it('an admin invites a viewer with a one-time link that works once, then removes them', { timeout: TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    const invitee = await newWatchedPage(browser, dashboard.url);
    const replay = await newWatchedPage(browser, dashboard.url);
    try {
      const { page, context } = watched;
      await signInContext(context, admin);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.url });
      await page.goto('/settings/members');
      const table = page.getByRole('table', { name: 'Members of this workspace' });
      await table.getByRole('cell', { name: /admin@example\.com/ }).waitFor();
      expect((await table.getByRole('columnheader').allTextContents()).slice(0, 2)).toEqual(['Email', 'Role']);
      // Not yourself: the only admin cannot remove themselves.
      expect(await table.getByRole('row').filter({ hasText: 'admin@example.com' }).getByRole('button', { name: 'Remove' }).count()).toBe(0);

      await page.getByRole('button', { name: 'Invite member' }).click();
      await page.getByLabel('Email', { exact: true }).fill('new.viewer@example.com');
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByRole('button', { name: 'Create sign-in link' }).click();
      const linkField = page.getByLabel('Sign-in link', { exact: true });
      await linkField.waitFor();
      const link = await linkField.inputValue();
      expect(link).toMatch(new RegExp(`^${dashboard.url.replace(/[.]/g, '\\.')}/signin/link#.{16,}`));
      await page.getByText('It works once, for 24 hours', { exact: false }).waitFor();
      await page.getByRole('button', { name: 'Copy link' }).click();
      await page.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
      expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(link);
      const row = table.getByRole('row').filter({ hasText: 'new.viewer@example.com' });
      await row.getByRole('cell', { name: 'Viewer', exact: true }).waitFor();
      await checkA11y(page);
      await screenshot(page, 'members');
      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'members-phone');
      await page.setViewportSize({ width: 1280, height: 800 });

      // The invitee opens the link in their own browser: Continue signs them in, as a viewer.
      await invitee.page.goto(link);
      await invitee.page.getByRole('button', { name: 'Continue' }).click();
      await invitee.page.getByRole('button', { name: 'Sign out' }).waitFor();
      expect(await invitee.page.getByText('new.viewer@example.com · viewer').count()).toBe(1);
      // A viewer who opens the members page is told, and the page does not ask the API (which answers 403).
      await invitee.page.goto('/settings/members');
      await invitee.page.getByText('Only admins manage members', { exact: false }).waitFor();
      expect(await invitee.page.getByRole('button', { name: 'Invite member' }).count()).toBe(0);

      // The same link a second time does nothing but say why.
      replay.expectStatus(401, '/api/session/link');
      await replay.page.goto(link);
      await replay.page.getByRole('button', { name: 'Continue' }).click();
      await replay.page.getByRole('alert').filter({ hasText: 'This sign-in link is not valid' }).waitFor();

      // Remove asks to confirm; then the viewer's session is over.
      await row.getByRole('button', { name: 'Remove' }).click();
      expect(await row.count()).toBe(1);
      await row.getByRole('button', { name: 'Confirm' }).click();
      await page.getByRole('status').filter({ hasText: 'Removed new.viewer@example.com' }).waitFor();
      await expect.poll(() => row.count()).toBe(0);
      invitee.expectStatus(401, '/api/session');
      await invitee.page.reload();
      await invitee.page.waitForURL('**/signin?**');

      await watched.assertClean();
      await invitee.assertClean();
      await replay.assertClean();
    } finally {
      await watched.close();
      await invitee.close();
      await replay.close();
    }
  });
});
