/**
 * Members' roles in Chromium (issue #19 item 7, spec §8 "members"), against `cohort serve` as a
 * process: an admin invites an editor whose one-time link works once, promotes them with "Role for
 * <email>" → Save role; two admins stepping down at the same moment leave one admin, the other told
 * why in words. (Admins demoting each other at once: test/api/member-roles.test.ts, both stores.)
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';

const TEST_TIMEOUT = 90_000;
type Browser = Awaited<ReturnType<typeof openBrowser>>;
const scrollWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);

describe.skipIf(browserMissing !== null)(`web: members' roles${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
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

  it('invite an editor (link works once), promote them; two admins stepping down at once leave one, the other told why', { timeout: TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    const invitee = await newWatchedPage(browser, dashboard.url);
    const replay = await newWatchedPage(browser, dashboard.url);
    try {
      const { page, context } = watched;
      await signInContext(context, admin);
      await page.goto('/settings/members');
      const table = page.getByRole('table', { name: 'Members of this workspace' });
      await table.getByRole('cell', { name: /admin@example\.com/ }).waitFor();

      // Invite an editor with the keyboard only.
      await page.getByRole('button', { name: 'Invite member' }).focus();
      await page.keyboard.press('Enter');
      await page.getByLabel('Email', { exact: true }).fill('ed@example.com');
      await page.getByLabel('Role', { exact: true }).selectOption('editor');
      await page.getByRole('button', { name: 'Create sign-in link' }).click();
      const link = await page.getByLabel('Sign-in link', { exact: true }).inputValue();

      await invitee.page.goto(link);
      await invitee.page.getByRole('button', { name: 'Continue' }).click();
      await invitee.page.getByRole('button', { name: 'Sign out' }).waitFor();
      expect(await invitee.page.getByText('ed@example.com · editor').count()).toBe(1);
      replay.expectStatus(401, '/api/session/link');
      await replay.page.goto(link);
      await replay.page.getByRole('button', { name: 'Continue' }).click();
      await replay.page.getByRole('alert').filter({ hasText: 'This sign-in link is not valid' }).waitFor();

      // The editor's role select shows Editor; Save role appears only once the choice differs.
      const edRole = page.getByRole('combobox', { name: 'Role for ed@example.com' });
      expect(await edRole.inputValue()).toBe('editor');
      expect(await page.getByRole('button', { name: 'Save role' }).count()).toBe(0);
      await edRole.focus();
      await edRole.selectOption('admin');
      await page.keyboard.press('Tab');
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent)).toBe('Save role');
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'ed@example.com is now Admin.' }).waitFor();
      expect((await admin.call('GET', '/api/members')).body.members.find((m: { email: string }) => m.email === 'ed@example.com').role).toBe('admin');
      await checkA11y(page);
      await screenshot(page, 'members-roles');

      // Both admins step down at the same moment (each their own row: both requests pass the role
      // check, so the store alone decides): one becomes a viewer, the other is refused in words and
      // stays the workspace's admin.
      await invitee.page.goto('/settings/members');
      await invitee.page.getByRole('combobox', { name: 'Role for ed@example.com' }).selectOption('viewer');
      await page.getByRole('combobox', { name: 'Role for admin@example.com' }).selectOption('viewer');
      watched.expectStatus(409, /^\/api\/members\//);
      invitee.expectStatus(409, /^\/api\/members\//);
      await Promise.all([page.getByRole('button', { name: 'Save role' }).click(), invitee.page.getByRole('button', { name: 'Save role' }).click()]);
      const refusal = (p: Page) => p.getByRole('alert').filter({ hasText: 'Role not changed: the last admin cannot be demoted' });
      const demotedPage = (p: Page) => p.getByText('Only admins manage members', { exact: false });
      await expect.poll(async () => (await refusal(page).count()) + (await refusal(invitee.page).count())).toBe(1);
      const [last, stepped] = (await refusal(page).count()) === 1 ? [page, invitee.page] : [invitee.page, page];
      // The one who stepped down no longer gets the admin's page (the session is re-read).
      await demotedPage(stepped).waitFor();
      expect(await stepped.getByRole('button', { name: 'Invite member' }).count()).toBe(0);
      const roles = (await admin.call('GET', '/api/members')).status === 200 ? ((await admin.call('GET', '/api/members')).body.members as { role: string }[]) : null;
      if (roles) expect(roles.filter((m) => m.role === 'admin')).toHaveLength(1);
      await screenshot(last, 'members-last-admin-refused');

      // The refused page re-reads the list: the other is shown as a Viewer now, and the one admin
      // left has no Remove on their own row either.
      const otherEmail = last === page ? 'ed@example.com' : 'admin@example.com';
      await expect.poll(() => last.getByRole('combobox', { name: `Role for ${otherEmail}` }).inputValue()).toBe('viewer');
      const lastEmail = last === page ? 'admin@example.com' : 'ed@example.com';
      expect(await last.getByRole('row').filter({ hasText: lastEmail }).getByRole('button', { name: 'Remove' }).count()).toBe(0);
      await checkA11y(last);
      await last.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => scrollWidth(last)).toBeLessThanOrEqual(390);
      await screenshot(last, 'members-roles-phone');

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
