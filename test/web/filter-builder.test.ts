/**
 * The filter builder in Chromium (issue #19 item 2), against `cohort serve` as a process: a nested
 * any-inside-all Entry audience built by clicks is saved exactly as spec §3 writes it; the attribute
 * suggestions include a custom attribute tracked for a profile; a value that is not one is shown on its
 * field and Save refuses with the reason (the server's copy unchanged); a Decision Split's `vip = true`
 * is built with the keyboard alone and saved bare, as the spec's split; axe finds nothing serious; at
 * 390×844 the page does not scroll sideways.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard, type WatchedPage } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';

type Doc = { document: { activeElement: { getAttribute(n: string): string | null; textContent: string | null } | null; documentElement: { scrollWidth: number } } };
/** The focused element's accessible name as our controls give it: aria-label, else its text. */
const focusedName = (page: Page) =>
  page.evaluate(() => {
    const el = (globalThis as unknown as Doc).document.activeElement;
    return el ? (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() : '';
  });
/** Presses Tab (or Shift+Tab) until the control named `name` (inside `within`, if given) has focus: proves it is reachable by keyboard. */
async function tabTo(page: Page, name: string, o: { backward?: boolean; within?: Locator } = {}): Promise<void> {
  const inside = () => (o.within ? o.within.evaluate((el) => (el as unknown as { contains(n: unknown): boolean }).contains((globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement as never)) : Promise.resolve(true));
  for (let i = 0; i < 120; i++) {
    if ((await focusedName(page)) === name && (await inside())) return;
    await page.keyboard.press(o.backward ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${name} was not reached by keyboard`);
}
const suggestions = (input: Locator) => input.evaluate((el) => Array.from((el as unknown as { list: { options: ArrayLike<{ value: string }> } }).list.options, (o) => o.value));

const AUDIENCE = {
  all: [
    { attribute: 'country', op: 'eq', value: 'US' },
    {
      any: [
        { attribute: 'vip', op: 'eq', value: true },
        { attribute: 'orders', op: 'gte', value: 3 },
      ],
    },
  ],
};

describe.skipIf(browserMissing !== null)(`web: the filter builder${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let admin: SessionApi;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url);
    const tracked = await admin.call('POST', '/api/users/track', { attributes: [{ external_id: 'ana', country: 'US', vip: true, orders: 5, loyalty_tier: 'gold' }] });
    expect(tracked.status).toBe(200);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

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

  it('builds a nested any-inside-all Entry audience by clicks, saves it exactly, and refuses to save a value that is not one', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const id = await createCanvas({ name: 'Builder' });
    const watched = await adminPage();
    const { page } = watched;
    try {
      await page.goto(`/canvases/${id}`);
      const audience = page.getByRole('group', { name: 'Entry audience', exact: true });
      await audience.getByText('Every profile of the workspace').waitFor();

      await audience.getByRole('button', { name: 'Add condition', exact: true }).click();
      const c1 = audience.getByRole('group', { name: 'Condition 1', exact: true });
      // Suggestions: the standard fields and the custom attributes tracked for a profile.
      await expect.poll(() => suggestions(c1.getByLabel('Attribute'))).toEqual(expect.arrayContaining(['country', 'email', 'external_id', 'loyalty_tier', 'orders', 'vip']));
      // The operators in words, every one of spec §3.
      expect(await c1.getByLabel('Operator').locator('option').allInnerTexts()).toEqual(['is', 'is not', 'greater than', 'greater than or equal to', 'less than', 'less than or equal to', 'is one of', 'contains', 'exists', 'does not exist']);
      // An empty attribute is a problem shown on the field, and Save says so.
      await c1.getByText('Choose or type an attribute name.').waitFor();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Not saved: Entry audience, condition 1: Choose or type an attribute name.' }).waitFor();
      await c1.getByLabel('Attribute').fill('country');
      await c1.getByLabel('Value').fill('US');

      await audience.getByRole('button', { name: 'Add group', exact: true }).click();
      const group = audience.getByRole('group', { name: 'Group 2', exact: true });
      expect(await group.getByRole('radio', { name: 'Match any' }).isChecked()).toBe(true);
      const c21 = group.getByRole('group', { name: 'Condition 2.1', exact: true });
      await c21.getByLabel('Attribute').fill('vip');
      // A boolean attribute: true or false, not free text.
      expect(await c21.getByLabel('Value').evaluate((el) => (el as unknown as { tagName: string }).tagName)).toBe('SELECT');
      expect(await c21.getByLabel('Value').inputValue()).toBe('true');
      await group.getByRole('button', { name: 'Add condition to group 2', exact: true }).click();
      const c22 = group.getByRole('group', { name: 'Condition 2.2', exact: true });
      await c22.getByLabel('Attribute').fill('orders');
      await c22.getByLabel('Operator').selectOption({ label: 'greater than or equal to' });
      await c22.getByLabel('Value').fill('3');
      // A row added and removed again leaves nothing behind.
      await audience.getByRole('button', { name: 'Add condition', exact: true }).click();
      await audience.getByRole('button', { name: 'Remove condition 3', exact: true }).click();
      expect(await audience.getByRole('group', { name: 'Condition 3', exact: true }).count()).toBe(0);

      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const saved = (await admin.call('GET', `/api/canvases/${id}`)).body;
      expect(JSON.stringify(saved.audience)).toBe(JSON.stringify(AUDIENCE));
      await checkA11y(page);
      await screenshot(page, 'filter-builder-audience');

      // "abc" for a number: shown on that field; Save refuses with the reason; the server keeps its copy.
      await c22.getByLabel('Value').fill('abc');
      await c22.getByText('“abc” is not a number').waitFor();
      expect(await c22.getByLabel('Value').getAttribute('aria-invalid')).toBe('true');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Not saved: Entry audience, condition 2.2: “abc” is not a number' }).waitFor();
      // Launch saves first, so it refuses the same way and the canvas stays a draft.
      await page.getByRole('button', { name: 'Launch', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Not saved: Entry audience, condition 2.2: “abc” is not a number' }).waitFor();
      const kept = (await admin.call('GET', `/api/canvases/${id}`)).body;
      expect([kept.status, JSON.stringify(kept.audience)]).toEqual(['draft', JSON.stringify(AUDIENCE)]);
      await checkA11y(page);
      await screenshot(page, 'filter-builder-invalid');

      // What was saved comes back into the builder after a reload.
      await page.reload();
      await c22.getByLabel('Value').waitFor();
      expect(await c22.getByLabel('Value').inputValue()).toBe('3');
      expect(await c22.getByLabel('Operator').inputValue()).toBe('gte');
      expect(await c1.getByLabel('Value').inputValue()).toBe('US');
      expect(await c21.getByLabel('Value').inputValue()).toBe('true');

      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as Doc).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'filter-builder-narrow');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('builds a Decision Split filter vip = true with the keyboard alone; it is saved bare, as the spec’s split', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const id = await createCanvas({ name: 'Split', first_step: 'split', steps: [{ id: 'split', type: 'decision_split', config: {}, yes: null, no: null }] });
    const watched = await adminPage();
    const { page } = watched;
    try {
      await page.goto(`/canvases/${id}`);
      const card = page.getByRole('region', { name: 'Step split · Decision Split' });
      const filter = card.getByRole('group', { name: 'Split filter', exact: true });
      await filter.getByText('No filter: every user goes the Yes way').waitFor();
      await page.getByLabel('Name', { exact: true }).focus();
      await tabTo(page, 'Add condition', { within: filter });
      await page.keyboard.press('Enter');
      // The new condition's attribute has focus.
      await expect.poll(() => filter.getByRole('group', { name: 'Condition 1' }).getByLabel('Attribute').evaluate((el) => el === (globalThis as unknown as Doc).document.activeElement)).toBe(true);
      await page.keyboard.type('vip');
      await page.keyboard.press('Tab'); // Operator: "is"
      await page.keyboard.press('Tab'); // Value: true or false
      expect(await filter.getByRole('group', { name: 'Condition 1' }).getByLabel('Value').inputValue()).toBe('true');
      await tabTo(page, 'Save', { backward: true });
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const step = (await admin.call('GET', `/api/canvases/${id}`)).body.steps[0];
      expect(JSON.stringify(step.config)).toBe(JSON.stringify({ filter: { attribute: 'vip', op: 'eq', value: true } }));

      // An invalid split value keeps the split unsaved too, with the step named.
      await filter.getByRole('group', { name: 'Condition 1' }).getByLabel('Operator').selectOption({ label: 'is one of' });
      await filter.getByRole('group', { name: 'Condition 1' }).getByLabel('Values, one per line').fill('true\nmaybe');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Not saved: step split: Split filter, condition 1: “maybe” is not true or false.' }).waitFor();
      expect(JSON.stringify((await admin.call('GET', `/api/canvases/${id}`)).body.steps[0].config)).toBe(JSON.stringify(step.config));
      await checkA11y(page);
      await screenshot(page, 'filter-builder-split');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
