/**
 * The step editors and the canvas's entry rules in Chromium (issue #19 item 2, spec §3, §8): a draft is
 * built by Add step and the editors alone — Delay 1 hour (keyboard only), a webhook with a header and a
 * templated JSON body previewed for a tracked profile, a User Update setting a boolean, an Event entry
 * whose name is suggested from tracked events, re-entry after 2 days and one exit event — then Save,
 * and the canvas read back through the API is exactly that JSON. A body that is not JSON is refused,
 * not saved silently. axe clean; 390×844 does not scroll sideways.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';

/** Runs in the page: Node's types do not know its document. */
const pageWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);

/** The step card: a region named `Step <id> · <Type>`. */
const stepCard = (page: Page, id: string, type: string): Locator => page.getByRole('region', { name: `Step ${id} · ${type}` });

const EXPECTED = {
  name: 'Editors walk',
  entry: { type: 'event', event: 'purchase' },
  audience: null,
  reentry: { allowed: true, after_seconds: 2 * 86_400 },
  exit: { events: ['unsubscribed'] },
  first_step: 'delay',
  steps: [
    { id: 'delay', type: 'delay', config: { seconds: 3_600 }, next: 'webhook' },
    {
      id: 'webhook',
      type: 'webhook',
      config: { url: 'https://example.test/hook', method: 'PUT', headers: { 'X-Token': '<i>s3cret</i>' }, body: { user: '{{external_id}}' } },
      next: 'update',
    },
    { id: 'update', type: 'user_update', config: { set: { retargeted: true } }, next: null },
  ],
};

describe.skipIf(browserMissing !== null)(`web: step editors and entry rules${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let admin: SessionApi;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
    // A tracked profile (a name holding markup, which must stay text) and the events the editors suggest.
    const tracked = await admin.call('POST', '/api/users/track', {
      attributes: [{ external_id: 'ana-1', first_name: '<b>Ana</b>' }],
      events: [
        { external_id: 'ana-1', name: 'purchase', time: new Date().toISOString() },
        { external_id: 'ana-1', name: 'unsubscribed', time: new Date().toISOString() },
      ],
    });
    expect(tracked.status).toBe(200);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('builds delay → webhook → user update with entry, re-entry and exit by the editors; Save stores exactly that JSON', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const created = await admin.call('POST', '/api/canvases', { name: 'Editors walk', entry: { type: 'api' }, audience: null, first_step: null, steps: [] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const watched = await newWatchedPage(browser, dashboard.url);
    const { page } = watched;
    await signInContext(watched.context, admin);
    try {
      await page.goto(`/canvases/${id}`);
      await page.getByRole('button', { name: 'Add step' }).waitFor();

      // Delay, by keyboard alone: Add step's menu, then the card's own fields.
      await page.getByRole('button', { name: 'Add step' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('menuitem', { name: 'Delay' }).waitFor();
      await page.keyboard.press('ArrowDown');
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent)).toBe('Delay');
      await page.keyboard.press('Enter');
      const delay = stepCard(page, 'delay', 'Delay');
      await delay.waitFor();
      const wait = delay.getByRole('spinbutton', { name: 'Wait' });
      // The new card has focus: Tab reaches the number, then its unit.
      await page.keyboard.press('Tab');
      await expect.poll(() => wait.evaluate((el) => (el as unknown as { matches(selector: string): boolean }).matches(':focus'))).toBe(true);
      await page.keyboard.press('Control+A');
      await page.keyboard.type('90');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Home'); // seconds
      await page.keyboard.press('ArrowDown'); // minutes
      await expect.poll(() => delay.getByText('Users wait 90 minutes here.').isVisible()).toBe(true);
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('1');
      await page.keyboard.press('Tab');
      await page.keyboard.press('ArrowDown'); // hours
      await expect.poll(() => delay.getByText('Users wait 1 hour here.').isVisible()).toBe(true);

      // Webhook: URL, method, one header, a templated body; previewed for the tracked profile.
      await page.getByRole('button', { name: 'Add step' }).click();
      await page.getByRole('menuitem', { name: 'Webhook' }).click();
      const hook = stepCard(page, 'webhook', 'Webhook');
      await hook.getByLabel('URL').fill('https://example.test/hook');
      await hook.getByLabel('Method').selectOption('PUT');
      await hook.getByRole('button', { name: 'Add header' }).click();
      await hook.getByLabel('Header name').fill('X-Token');
      await hook.getByLabel('Header value').fill('<i>s3cret</i>');
      const body = hook.getByLabel('Body');
      // Not JSON: said so, and Save refuses rather than storing the last good body.
      await body.fill('{"user": "{{external_id}}"');
      await expect.poll(() => body.getAttribute('aria-invalid')).toBe('true');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Not saved' }).first().textContent()).toMatch(/Not saved: .*webhook/);
      expect((await admin.call('GET', `/api/canvases/${id}`)).body.steps).toEqual([]);
      await body.fill('{"user": "{{external_id}}"}');
      await expect.poll(() => body.getAttribute('aria-invalid')).toBe('false');
      // Fixed: the refusal is gone without another Save.
      await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Not saved' }).count()).toBe(0);
      await hook.getByLabel('Preview for external ID').fill('ana-1');
      await hook.getByRole('button', { name: 'Preview', exact: true }).click();
      const rendered = hook.locator('pre');
      await expect.poll(() => rendered.textContent()).toContain('PUT https://example.test/hook');
      const text = (await rendered.textContent()) ?? '';
      expect(text).toContain('X-Token: <i>s3cret</i>');
      expect(text).toMatch(/"user": "ana-1"/);
      // Shown as text: the header's markup is not an element.
      expect(await hook.locator('i').count()).toBe(0);

      // User Update: retargeted = true, a boolean.
      await page.getByRole('button', { name: 'Add step' }).click();
      await page.getByRole('menuitem', { name: 'User Update' }).click();
      const update = stepCard(page, 'update', 'User Update');
      await update.getByRole('button', { name: 'Add attribute' }).click();
      await update.getByLabel('Attribute', { exact: true }).fill('retargeted');
      await update.getByLabel('Type').selectOption({ label: 'True/false' });
      await update.getByLabel('Value', { exact: true }).selectOption('true');

      // Scheduled names the browser's time zone (datetime-local has none of its own).
      await page.getByRole('radio', { name: 'Scheduled' }).check();
      const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      await expect.poll(() => page.getByText(`Your local time (${zone}). Empty: at launch.`).isVisible()).toBe(true);

      // Entry: Event, its name suggested from what was tracked.
      await page.getByRole('radio', { name: 'Event' }).check();
      const eventName = page.getByLabel('Event name');
      const listId = await eventName.getAttribute('list');
      expect(listId).toBeTruthy();
      await expect.poll(() => page.locator(`datalist[id="${listId}"] option`).evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(['purchase', 'unsubscribed']);
      await eventName.fill('purchase');

      // Re-entry after 2 days, and one exit event.
      await page.getByRole('checkbox', { name: 'Allow re-entry' }).check();
      await page.getByRole('spinbutton', { name: /^Re-ent(ry|er) after$/ }).fill('2');
      await page.getByLabel(/^Re-ent(ry|er) after unit$/).selectOption('days');
      await page.getByLabel('Exit event', { exact: true }).fill('unsubscribed');
      await page.getByRole('button', { name: 'Add exit event' }).click();
      await page.getByRole('button', { name: 'Remove unsubscribed' }).waitFor();
      // One added by mistake, removed again.
      await page.getByLabel('Exit event', { exact: true }).fill('purchase');
      await page.getByLabel('Exit event', { exact: true }).press('Enter');
      await page.getByRole('button', { name: 'Remove purchase' }).click();
      await expect.poll(() => page.getByRole('list', { name: 'Exit events' }).getByRole('listitem').allTextContents()).toEqual(['unsubscribedRemove']);

      await checkA11y(page);
      await screenshot(page, 'step-editors');

      const saved = page.waitForResponse((r) => r.url().endsWith(`/api/canvases/${id}`) && r.request().method() === 'PUT');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      expect((await saved).status()).toBe(200);
      const stored = await admin.call('GET', `/api/canvases/${id}`);
      const { id: _id, status: _status, version: _version, created_at: _c, updated_at: _u, launched_at: _l, ...definition } = stored.body as Record<string, unknown>;
      expect(definition).toEqual(EXPECTED);

      // A reload shows what was saved.
      await page.reload();
      const again = stepCard(page, 'delay', 'Delay');
      await expect.poll(() => again.getByRole('spinbutton', { name: 'Wait' }).inputValue()).toBe('1');
      expect(await again.getByLabel('Wait unit').inputValue()).toBe('hours');
      expect(await page.getByRole('checkbox', { name: 'Allow re-entry' }).isChecked()).toBe(true);
      expect(await stepCard(page, 'webhook', 'Webhook').getByLabel('Header value').inputValue()).toBe('<i>s3cret</i>');

      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => pageWidth(page)).toBeLessThanOrEqual(390);
      await screenshot(page, 'step-editors-phone');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it("previews nothing for a user this workspace does not have: 404 in words", { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const created = await admin.call('POST', '/api/canvases', {
      name: 'Preview unknown',
      entry: { type: 'api' },
      audience: null,
      first_step: 'hook',
      steps: [{ id: 'hook', type: 'webhook', config: { url: 'https://example.test/{{external_id}}', method: 'POST', body: { a: 1 } }, next: null }],
    });
    const watched = await newWatchedPage(browser, dashboard.url);
    const { page } = watched;
    await signInContext(watched.context, admin);
    watched.expectStatus(404, '/api/webhooks/preview');
    try {
      await page.goto(`/canvases/${created.body.id as string}`);
      const hook = stepCard(page, 'hook', 'Webhook');
      await hook.getByLabel('Preview for external ID').fill('nobody-here');
      await hook.getByRole('button', { name: 'Preview', exact: true }).click();
      await expect.poll(() => hook.getByRole('alert').textContent()).toMatch(/no user with this external_id/);
      expect(await hook.locator('pre').count()).toBe(0);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
  it('a viewer sees the editors filled in and read-only: no Add, Remove or Preview', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const created = await admin.call('POST', '/api/canvases', { ...EXPECTED, name: 'Seen by a viewer' });
    expect(created.status).toBe(201);
    const invited = await admin.call('POST', '/api/members', { email: 'viewer@example.com', role: 'viewer' });
    expect(invited.status).toBe(201);
    const watched = await newWatchedPage(browser, dashboard.url);
    const { page } = watched;
    try {
      await page.goto(invited.body.sign_in_path as string);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.goto(`/canvases/${created.body.id as string}`);
      const delay = stepCard(page, 'delay', 'Delay');
      await expect.poll(() => delay.getByRole('spinbutton', { name: 'Wait' }).inputValue()).toBe('1');
      expect(await delay.getByRole('spinbutton', { name: 'Wait' }).isEditable()).toBe(false);
      const hook = stepCard(page, 'webhook', 'Webhook');
      expect(await hook.getByLabel('Header value').inputValue()).toBe('<i>s3cret</i>');
      expect(JSON.parse(await hook.getByLabel('Body').inputValue())).toEqual({ user: '{{external_id}}' });
      expect(await stepCard(page, 'update', 'User Update').getByLabel('Attribute', { exact: true }).inputValue()).toBe('retargeted');
      expect(await page.getByRole('checkbox', { name: 'Allow re-entry' }).isChecked()).toBe(true);
      expect(await page.getByRole('spinbutton', { name: /^Re-ent(ry|er) after$/ }).inputValue()).toBe('2');
      expect(await page.getByRole('list', { name: 'Exit events' }).textContent()).toContain('unsubscribed');
      for (const name of ['Add header', 'Add attribute', 'Add exit event', 'Preview']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
      expect(await page.getByLabel('Preview for external ID').count()).toBe(0);
      await checkA11y(page);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
