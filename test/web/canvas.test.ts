/**
 * The canvases list and the canvas page in Chromium (spec §8 "canvases", "canvas"; issue 17 item 4),
 * against `cohort serve` and the TikTok emulator as processes: a new canvas is named and given an event
 * entry that survives a reload; a launch without a configured Audience Sync step is refused with each
 * reason in the card of the step it names; a name that looks like HTML stays text; Stop and Archive
 * ask first; a viewer gets no buttons that change anything; an active syncing canvas is marked in the
 * list when TikTok stops accepting the token.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard, type WatchedPage } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';
import { SEED } from '../support/tiktok.ts';

const LAUNCH = /^\/api\/canvases\/[^/]+\/launch$/;

/** Runs in the page: Node's types do not know its document. */
const pageWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
/** Whether leaving now would make the browser ask (the page's beforeunload handler cancels the event). */
const wouldWarnOnLeave = (page: Page) =>
  page.evaluate(() => {
    const w = globalThis as unknown as { dispatchEvent(e: unknown): boolean; Event: new (type: string, init: object) => { defaultPrevented: boolean } };
    const event = new w.Event('beforeunload', { cancelable: true });
    w.dispatchEvent(event);
    return event.defaultPrevented;
  });

describe.skipIf(browserMissing !== null)(`web: canvases and the canvas page${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let admin: SessionApi;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  /** A page signed in as the admin; closed by the caller. */
  const adminPage = async (): Promise<WatchedPage> => {
    const watched = await newWatchedPage(browser, dashboard.url);
    await signInContext(watched.context, admin);
    return watched;
  };
  const createCanvas = async (body: object): Promise<string> => {
    const created = await admin.call('POST', '/api/canvases', { entry: { type: 'api' }, audience: null, first_step: null, steps: [], ...body });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  it('New canvas opens it; its name and event entry are saved and survive a reload; the list links it with status and last edit', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const watched = await adminPage();
    const { page } = watched;
    try {
      await page.goto('/canvases');
      // A fresh workspace: the list says what to do.
      await page.getByText('No canvases yet.').waitFor();
      await page.getByRole('button', { name: 'New canvas', exact: true }).click();
      await page.waitForURL(/\/canvases\/cv_[^/]+$/);
      const id = new URL(page.url()).pathname.split('/').pop()!;
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Untitled canvas');
      expect(await page.getByRole('group', { name: 'Entry' }).getByRole('radio', { name: 'API' }).isChecked()).toBe(true);

      await page.getByLabel('Name', { exact: true }).fill('Spring buyers');
      await page.getByRole('radio', { name: 'Event' }).check();
      await page.getByLabel('Event name').fill('purchase');
      // An audience condition without an attribute is not sent at all (the builder: test/web/filter-builder.test.ts).
      const audience = page.getByRole('group', { name: 'Entry audience', exact: true });
      await audience.getByRole('button', { name: 'Add condition', exact: true }).click();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Not saved: Entry audience, condition 1: Choose or type an attribute name.' }).waitFor();
      expect((await admin.call('GET', `/api/canvases/${id}`)).body.name).toBe('Untitled canvas');
      await audience.getByLabel('Attribute').fill('country');
      await audience.getByLabel('Value').fill('US');
      expect(await wouldWarnOnLeave(page)).toBe(true);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      expect(await wouldWarnOnLeave(page)).toBe(false);
      expect((await admin.call('GET', `/api/canvases/${id}`)).body).toMatchObject({
        name: 'Spring buyers',
        status: 'draft',
        entry: { type: 'event', event: 'purchase' },
        audience: { all: [{ attribute: 'country', op: 'eq', value: 'US' }] },
      });

      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Spring buyers' }).waitFor();
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Spring buyers');
      expect(await page.getByRole('radio', { name: 'Event' }).isChecked()).toBe(true);
      expect(await page.getByLabel('Event name').inputValue()).toBe('purchase');
      await page.getByText('Draft', { exact: true }).waitFor();
      await checkA11y(page);

      await page.getByRole('link', { name: 'Canvases', exact: true }).click();
      const table = page.getByRole('table');
      await table.getByRole('link', { name: 'Spring buyers' }).waitFor();
      const headers = await table.getByRole('columnheader').allInnerTexts();
      expect(headers).toEqual(['Name', 'Status', 'Last edited']);
      const row = table.getByRole('row').filter({ hasText: 'Spring buyers' });
      expect(await row.getByRole('cell').nth(1).innerText()).toBe('Draft');
      expect(await row.getByRole('cell').nth(2).innerText()).toMatch(/just now|minute/);
      await checkA11y(page);
      await screenshot(page, 'canvases');
      await row.getByRole('link', { name: 'Spring buyers' }).click();
      await page.waitForURL(`**/canvases/${id}`);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('Launch without a configured Audience Sync step: each reason as an alert in the card of the step it names, the connection’s at the top', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const id = await createCanvas({ name: 'Retarget VIPs' });
    const watched = await adminPage();
    const { page } = watched;
    watched.expectStatus(422, LAUNCH);
    try {
      await page.goto(`/canvases/${id}`);
      await page.getByText('No steps yet.').waitFor();
      // The menu by keyboard: Enter opens it on its first item, arrows move, Escape closes it on the button.
      const add = page.getByRole('button', { name: 'Add step', exact: true });
      await add.focus();
      await page.keyboard.press('Enter');
      const items = page.getByRole('menu').getByRole('menuitem');
      expect(await items.allInnerTexts()).toEqual(['Audience Sync', 'Delay', 'Decision Split', 'Webhook', 'User Update']);
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Audience Sync');
      await page.keyboard.press('ArrowDown');
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Delay');
      await page.keyboard.press('Escape');
      expect(await page.getByRole('menu').count()).toBe(0);
      expect(await add.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);

      await add.click();
      await page.getByRole('menuitem', { name: 'Audience Sync' }).click();
      const card = page.getByRole('region', { name: 'Step sync · Audience Sync' });
      await card.waitFor();
      // It is also a node of the journey graph, after Entry.
      await page.getByRole('region', { name: 'Journey graph' }).getByRole('button', { name: /sync/ }).waitFor();

      await page.getByRole('button', { name: 'Launch', exact: true }).click();
      await card.getByRole('alert').filter({ hasText: 'step sync: audience_sync needs an advertiser' }).waitFor();
      await card.getByRole('alert').filter({ hasText: 'step sync: audience_sync needs an audience' }).waitFor();
      await card.getByRole('alert').filter({ hasText: 'step sync: audience_sync needs at least one of email' }).waitFor();
      // Not about a step: at the top, with the way to fix it.
      const tiktok = page.getByRole('alert').filter({ hasText: 'TikTok: not connected' });
      expect(await tiktok.count()).toBe(1);
      expect(await card.getByRole('alert').filter({ hasText: 'TikTok' }).count()).toBe(0);
      await tiktok.getByRole('link', { name: 'Go to TikTok settings' }).waitFor();
      // Launch saved the new step first.
      const saved = (await admin.call('GET', `/api/canvases/${id}`)).body;
      expect(saved).toMatchObject({ status: 'draft', first_step: 'sync', steps: [{ id: 'sync', type: 'audience_sync', next: null }] });
      await page.getByText('Draft', { exact: true }).waitFor();
      await checkA11y(page);
      await screenshot(page, 'canvas-refused');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('a canvas named like HTML is shown as text in the list and on its page, and runs nothing', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const name = '<img src=x onerror=alert(1)>';
    const id = await createCanvas({ name });
    const watched = await adminPage();
    const { page } = watched;
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await page.goto('/canvases');
      const link = page.getByRole('table').getByRole('link', { name, exact: true });
      await link.waitFor();
      expect(await link.isVisible()).toBe(true);
      expect(await page.getByRole('table').locator('img').count()).toBe(0);
      await link.click();
      const heading = page.getByRole('heading', { level: 1, name, exact: true });
      await heading.waitFor();
      expect(await heading.locator('img').count()).toBe(0);
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(name);
      expect(new URL(page.url()).pathname).toBe(`/canvases/${id}`);
      expect(dialogs).toEqual([]);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('Launch makes it Active with a link to Analytics; Stop and Archive each ask for Confirm, and Cancel changes nothing', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    // Launchable without TikTok: a delay, then a split whose yes branch marks the user.
    const id = await createCanvas({
      name: 'Wait an hour',
      first_step: 'wait',
      steps: [
        { id: 'wait', type: 'delay', config: { seconds: 3600 }, next: 'vip' },
        { id: 'vip', type: 'decision_split', config: { filter: { attribute: 'vip', op: 'eq', value: true } }, yes: 'mark', no: null },
        { id: 'mark', type: 'user_update', config: { set: { retargeted: true } }, next: null },
      ],
    });
    const watched = await adminPage();
    const { page } = watched;
    const status = async () => (await admin.call('GET', `/api/canvases/${id}`)).body.status as string;
    try {
      await page.goto(`/canvases/${id}`);
      const card = page.getByRole('region', { name: 'Step wait · Delay' });
      expect(await card.getByLabel('Wait', { exact: true }).inputValue()).toBe('1');
      expect(await card.getByLabel('Wait unit').inputValue()).toBe('hours');
      await card.getByText('Users wait 1 hour here.').waitFor();
      // A draft's links are selects (the builder's); once launched, words (below).
      expect(await card.getByLabel('Next step').inputValue()).toBe('vip');
      const split = page.getByRole('region', { name: 'Step vip · Decision Split' });
      expect([await split.getByLabel('If yes').inputValue(), await split.getByLabel('If no').inputValue()]).toEqual(['mark', '']);
      // Its filter in the builder (test/web/filter-builder.test.ts).
      expect(await split.getByRole('group', { name: 'Condition 1' }).getByLabel('Attribute').inputValue()).toBe('vip');
      // The graph labels the split's branches.
      await page.getByRole('region', { name: 'Journey graph' }).getByText('yes', { exact: true }).waitFor();
      // Clicking the graph's node takes the user to the step's card.
      await page.getByRole('region', { name: 'Journey graph' }).getByRole('button', { name: /wait/ }).click();
      await expect.poll(() => card.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
      await checkA11y(page);
      await screenshot(page, 'canvas');

      await page.getByRole('button', { name: 'Launch', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Launched' }).waitFor();
      await page.getByText('Active', { exact: true }).waitFor();
      expect(await page.getByRole('link', { name: 'Analytics' }).getAttribute('href')).toBe(`/canvases/${id}/analytics`);
      expect(await status()).toBe('active');
      // An active canvas is edited as a new version (test/web/canvas-versions.test.ts): Save, no Launch.
      expect(await page.getByRole('button', { name: 'Launch', exact: true }).count()).toBe(0);
      await page.getByRole('button', { name: 'Save', exact: true }).waitFor();
      expect(await card.getByLabel('Wait', { exact: true }).isEditable()).toBe(true);
      expect(await card.getByLabel('Next step').inputValue()).toBe('vip');

      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByRole('group', { name: 'Stop this canvas?' }).waitFor();
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      expect(await page.getByRole('button', { name: 'Confirm' }).count()).toBe(0);
      expect(await status()).toBe('active');
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByRole('button', { name: 'Confirm', exact: true }).click();
      await page.getByText('Stopped', { exact: true }).waitFor();
      expect(await status()).toBe('stopped');
      // A stopped canvas can be launched again (resumed).
      await page.getByRole('button', { name: 'Launch', exact: true }).waitFor();

      await page.getByRole('button', { name: 'Archive', exact: true }).click();
      await page.keyboard.press('Escape');
      expect(await page.getByRole('button', { name: 'Confirm' }).count()).toBe(0);
      expect(await status()).toBe('stopped');
      await page.getByRole('button', { name: 'Archive', exact: true }).click();
      await page.getByRole('button', { name: 'Confirm', exact: true }).click();
      await page.getByText('Archived', { exact: true }).waitFor();
      expect(await status()).toBe('archived');
      for (const name of ['Save', 'Launch', 'Stop', 'Archive']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);

      // A phone: nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await pageWidth(page)).toBeLessThanOrEqual(390);
      await screenshot(page, 'canvas-mobile');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('a viewer sees canvases read-only: no New canvas, Save, Launch, Stop, Archive or Add step', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const id = await createCanvas({ name: 'Seen by a viewer', first_step: 'wait', steps: [{ id: 'wait', type: 'delay', config: { seconds: 60 }, next: null }] });
    const invited = await admin.call('POST', '/api/members', { email: 'viewer@example.com', role: 'viewer' });
    expect(invited.status).toBe(201);
    const watched = await newWatchedPage(browser, dashboard.url);
    const { page } = watched;
    try {
      await page.goto(invited.body.sign_in_path as string);
      await page.getByRole('button', { name: 'Continue' }).click();
      // Signed in, the link lands on the canvases.
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.waitForURL('**/canvases');
      await page.getByRole('link', { name: 'Seen by a viewer' }).waitFor();
      await expect(page.getByRole('button', { name: 'New canvas' }).count()).resolves.toBe(0);
      await page.getByRole('link', { name: 'Seen by a viewer' }).click();
      await page.getByRole('heading', { level: 1, name: 'Seen by a viewer' }).waitFor();
      await page.getByRole('region', { name: 'Step wait · Delay' }).waitFor();
      for (const name of ['Save', 'Launch', 'Stop', 'Archive', 'Add step']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByLabel('Name', { exact: true }).isEditable()).toBe(false);
      expect(await page.getByRole('radio', { name: 'Event' }).isEnabled()).toBe(false);
      // The entry audience in words: no builder controls for a viewer.
      await page.getByRole('group', { name: 'Entry audience' }).getByText('Every profile of the workspace.').waitFor();
      expect(await page.getByRole('button', { name: /Add condition|Add group/ }).count()).toBe(0);
      expect(new URL(page.url()).pathname).toBe(`/canvases/${id}`);
      await checkA11y(page);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('an active canvas with an Audience Sync step is marked in the list when TikTok no longer accepts the token', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const [US] = SEED.advertisers;
    const watched = await adminPage();
    watched.allowOrigin(dashboard.emulatorUrl); // TikTok's consent page, visited on purpose
    const { page } = watched;
    try {
      // Connect as an admin would (the partner page and TikTok's consent page are that page's tests).
      await page.goto('/partners/tiktok');
      await page.getByRole('button', { name: 'Connect TikTok' }).click();
      await page.waitForURL(`${dashboard.emulatorUrl}/portal/auth**`);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(`${dashboard.url}/partners/tiktok**`);
      await page.getByText('Connected', { exact: true }).waitFor();
      const audience = await admin.call('POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: 'Buyers' });
      expect(audience.status).toBe(201);
      const id = await createCanvas({
        name: 'Syncing buyers',
        first_step: 'sync',
        steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: US, audience_id: audience.body.audience_id, action: 'add', fields: ['email'] } }],
      });
      const calm = await createCanvas({ name: 'Only waits', first_step: 'wait', steps: [{ id: 'wait', type: 'delay', config: { seconds: 1 }, next: null }] });
      expect((await admin.call('POST', `/api/canvases/${id}/launch`, undefined)).status).toBe(200);
      expect((await admin.call('POST', `/api/canvases/${calm}/launch`, undefined)).status).toBe(200);

      await page.goto('/canvases');
      await page.getByRole('link', { name: 'Syncing buyers' }).waitFor();
      expect(await page.getByText('TikTok token invalid').count()).toBe(0);

      const revoked = await fetch(`${dashboard.emulatorUrl}/_emulator/tokens/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ all: true }) });
      expect(revoked.status).toBe(200);
      // Cohort notices at its next TikTok call.
      expect((await admin.call('GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(409);

      await page.reload();
      const syncing = page.getByRole('row').filter({ hasText: 'Syncing buyers' });
      await syncing.getByText('TikTok token invalid').waitFor();
      expect(await page.getByRole('row').filter({ hasText: 'Only waits' }).getByText('TikTok token invalid').count()).toBe(0);
      await page.getByRole('alert').filter({ hasText: 'TikTok token is invalid' }).getByRole('link', { name: 'TikTok page' }).waitFor();
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
  it('the list comes a page at a time: Load more brings the older canvases', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const before = (await admin.call('GET', '/api/canvases?limit=500')).body.canvases.length as number;
    // Enough for a second page of 50.
    for (let i = 0; i < 55 - before; i++) await createCanvas({ name: `Batch ${i}` });
    const watched = await adminPage();
    const { page } = watched;
    try {
      await page.goto('/canvases');
      const rows = page.getByRole('table').getByRole('row');
      await expect.poll(() => rows.count()).toBe(51); // the header and 50
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => rows.count()).toBe(56);
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
      // Newest first: the first canvas made in this file is last.
      expect(await rows.last().getByRole('cell').first().innerText()).toBe('Spring buyers');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
