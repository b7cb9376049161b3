/**
 * The canvas builder's editable graph in Chromium (issue #19 item 1), against `cohort serve` as a process:
 * steps are added (one on a split's no branch), links are drawn by dragging between handles, removed
 * with Delete, and set by the cards' selects; deleting a step asks first and reattaches what led to it;
 * Undo and Redo bring edits back and forth; Tidy layout puts a dragged node back; a link to another
 * page asks "Leave without saving?"; what Save stores is what the API reads back and the page shows
 * after a reload. A second walk does the building with the keyboard only; an archived canvas has none of
 * the builder's controls.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard, type WatchedPage } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';

/** Runs in the page: Node's types do not know its document. */
const pageWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
const focusedName = (page: Page) =>
  page.evaluate(() => {
    const el = (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null; textContent: string | null } | null } }).document.activeElement;
    return el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? '';
  });

/** The centre of an element on the page. */
async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element not shown');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** A mouse drag in small moves, as a hand does it (xyflow starts a connection or a node drag on the way). */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 5, from.y + 5, { steps: 3 });
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
}

const node = (page: Page, stepId: string) => page.locator(`.react-flow__node[data-id="step:${stepId}"]`);
const transformOf = (l: Locator) => l.evaluate((el) => (el as unknown as { style: { transform: string } }).style.transform);

describe.skipIf(browserMissing !== null)(`web: the canvas builder's graph${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
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

  const adminPage = async (): Promise<WatchedPage> => {
    const watched = await newWatchedPage(browser, dashboard.url);
    await signInContext(watched.context, admin);
    return watched;
  };
  const createCanvas = async (name: string): Promise<string> => {
    const created = await admin.call('POST', '/api/canvases', { name, entry: { type: 'api' }, audience: null, first_step: null, steps: [] });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  it('builds a journey with a split by mouse and selects, deletes a step with reattached links, undoes and redoes it, tidies, warns on leaving, and saves what it shows', { timeout: BROWSER_TEST_TIMEOUT * 2 }, async () => {
    const id = await createCanvas('Builder walk');
    const watched = await adminPage();
    const { page } = watched;
    try {
      await page.goto(`/canvases/${id}`);
      const graph = page.getByRole('region', { name: 'Journey graph' });
      const add = async (type: string) => {
        await page.getByRole('button', { name: 'Add step', exact: true }).click();
        await page.getByRole('menuitem', { name: type, exact: true }).click();
      };
      const card = (name: string) => page.getByRole('region', { name });
      const undo = page.getByRole('button', { name: 'Undo', exact: true });
      const redo = page.getByRole('button', { name: 'Redo', exact: true });
      expect(await undo.isDisabled()).toBe(true);
      expect(await redo.isDisabled()).toBe(true);

      // Typing a word into the name is one edit to undo, not one per letter.
      const nameField = page.getByLabel('Name', { exact: true });
      await nameField.click();
      await page.keyboard.press('End');
      await page.keyboard.type(' two', { delay: 40 });
      expect(await undo.isDisabled()).toBe(false);
      await undo.click();
      expect(await nameField.inputValue()).toBe('Builder walk');
      expect(await undo.isDisabled()).toBe(true);
      expect(await redo.isDisabled()).toBe(false);

      await add('Delay');
      await add('Decision Split');
      // The split is chosen (just added): the next step can go on its no branch.
      await page.getByRole('radio', { name: 'No branch' }).check();
      await add('Webhook');
      await graph.getByRole('button', { name: /split/ }).click();
      await page.getByRole('radio', { name: 'Yes branch' }).check();
      await add('User Update');
      const split = card('Step split · Decision Split');
      expect(await split.getByLabel('If yes').inputValue()).toBe('update');
      expect(await split.getByLabel('If no').inputValue()).toBe('webhook');
      expect(await card('Step delay · Delay').getByRole('button', { name: 'Make first step' }).count()).toBe(0);

      // A link set by the card's select.
      await card('Step webhook · Webhook').getByLabel('Next step').selectOption({ label: 'update · User Update' });
      await graph.locator('.react-flow__edge[data-id="next:webhook->update"]').waitFor();

      // A link removed in the graph with Delete, and drawn again by dragging between handles.
      await graph.scrollIntoViewIfNeeded();
      const link = await centre(graph.locator('.react-flow__edge[data-id="next:delay->split"] .react-flow__edge-path'));
      await page.mouse.click(link.x, link.y);
      await page.getByText('Selected link: step delay to step split.').waitFor();
      await page.keyboard.press('Delete');
      await expect.poll(() => card('Step delay · Delay').getByLabel('Next step').inputValue()).toBe('');
      await drag(page, await centre(node(page, 'delay').locator('.react-flow__handle.source')), await centre(node(page, 'split').locator('.react-flow__handle.target')));
      await expect.poll(() => card('Step delay · Delay').getByLabel('Next step').inputValue()).toBe('split');
      // The split's "no" handle, dragged to the user update: only that branch changes.
      await drag(page, await centre(node(page, 'split').locator('.react-flow__handle[data-handleid="no"]')), await centre(node(page, 'update').locator('.react-flow__handle.target')));
      await expect.poll(() => split.getByLabel('If no').inputValue()).toBe('update');
      expect(await split.getByLabel('If yes').inputValue()).toBe('update');
      await split.getByLabel('If no').selectOption({ label: 'webhook · Webhook' });

      // Deleting the webhook asks first, saying what happens; its link in goes where it led.
      const webhook = card('Step webhook · Webhook');
      await webhook.getByRole('button', { name: 'Delete step' }).click();
      await webhook.getByText('Delete step webhook? step split will lead to step update instead, where it led.').waitFor();
      await screenshot(page, 'canvas-builder-delete');
      await webhook.getByRole('button', { name: 'Confirm', exact: true }).click();
      await webhook.waitFor({ state: 'detached' });
      expect(await split.getByLabel('If no').inputValue()).toBe('update');
      expect(await graph.locator('.react-flow__node[data-id="step:webhook"]').count()).toBe(0);

      await undo.click();
      await webhook.waitFor();
      expect(await split.getByLabel('If no').inputValue()).toBe('webhook');
      expect(await webhook.getByLabel('Next step').inputValue()).toBe('update');
      await redo.click();
      await webhook.waitFor({ state: 'detached' });
      expect(await split.getByLabel('If no').inputValue()).toBe('update');
      expect(await redo.isDisabled()).toBe(true);

      // A dragged node stays where it was put; Tidy layout puts it back.
      const delayNode = node(page, 'delay');
      const laidOut = await transformOf(delayNode);
      await graph.scrollIntoViewIfNeeded();
      const from = await centre(delayNode);
      await drag(page, from, { x: from.x + 40, y: from.y + 120 });
      await expect.poll(() => transformOf(delayNode)).not.toBe(laidOut);
      // Moving a node is not a click on it: the chosen step (where Add step puts the next) stays.
      await page.getByText('New steps go after step update.').waitFor();
      await page.getByRole('button', { name: 'Tidy layout' }).click();
      await expect.poll(() => transformOf(node(page, 'delay'))).toBe(laidOut);

      // The visible way to remove a selected link.
      await graph.scrollIntoViewIfNeeded();
      const first = await centre(graph.locator('.react-flow__edge[data-id="entry->first"] .react-flow__edge-path'));
      await page.mouse.click(first.x, first.y);
      await page.getByText('Selected link: Entry to step delay.').waitFor();
      await page.getByRole('button', { name: 'Remove link' }).click();
      await card('Step delay · Delay').getByRole('button', { name: 'Make first step' }).waitFor();
      // Dragged from Entry to a step: that step is the first again.
      await drag(page, await centre(graph.locator('.react-flow__node[data-id="entry"] .react-flow__handle.source')), await centre(node(page, 'delay').locator('.react-flow__handle.target')));
      await card('Step delay · Delay').getByText('First step').waitFor();

      // A link to another page asks first; Stay keeps the edits.
      await page.getByRole('link', { name: 'All canvases' }).click();
      const leave = page.getByRole('dialog', { name: /Leave without saving\?/ });
      await leave.waitFor();
      expect(await focusedName(page)).toBe('Stay');
      await checkA11y(page);
      await screenshot(page, 'canvas-builder-leave');
      await leave.getByRole('button', { name: 'Stay' }).click();
      await leave.waitFor({ state: 'hidden' });
      expect(new URL(page.url()).pathname).toBe(`/canvases/${id}`);

      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const stored = (await admin.call('GET', `/api/canvases/${id}`)).body as { first_step: string; steps: { id: string; type: string; next?: string | null; yes?: string | null; no?: string | null }[] };
      expect(stored.first_step).toBe('delay');
      expect(stored.steps.map((s) => [s.id, s.type, s.next ?? null, s.yes ?? null, s.no ?? null]).sort()).toEqual([
        ['delay', 'delay', 'split', null, null],
        ['split', 'decision_split', null, 'update', 'update'],
        ['update', 'user_update', null, null, null],
      ]);
      await checkA11y(page);
      await screenshot(page, 'canvas-builder');

      await page.reload();
      expect(await card('Step delay · Delay').getByLabel('Next step').inputValue()).toBe('split');
      expect(await split.getByLabel('If yes').inputValue()).toBe('update');
      expect(await split.getByLabel('If no').inputValue()).toBe('update');
      await card('Step update · User Update').getByRole('button', { name: 'Make first step' }).waitFor();
      expect(await undo.isDisabled()).toBe(true);
      // Saved: leaving asks nothing.
      await page.getByRole('link', { name: 'All canvases' }).click();
      await page.waitForURL(/\/canvases$/);

      await page.goto(`/canvases/${id}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await split.waitFor();
      expect(await pageWidth(page)).toBeLessThanOrEqual(390);
      await screenshot(page, 'canvas-builder-phone');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('an archived canvas shows its links as words: no Undo, Redo, Tidy layout, link selects, Make first step or Delete step', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const created = await admin.call('POST', '/api/canvases', {
      name: 'Running',
      entry: { type: 'api' },
      audience: null,
      first_step: 'wait',
      steps: [
        { id: 'wait', type: 'delay', config: { seconds: 60 }, next: 'mark' },
        { id: 'mark', type: 'user_update', config: { set: { seen: true } }, next: null },
      ],
    });
    const id = created.body.id as string;
    // Archived, not just active: an active canvas is edited too (as a new version), an archived one never.
    expect((await admin.call('POST', `/api/canvases/${id}/launch`)).status).toBe(200);
    expect((await admin.call('POST', `/api/canvases/${id}/archive`)).status).toBe(200);
    const watched = await adminPage();
    const { page } = watched;
    try {
      await page.goto(`/canvases/${id}`);
      const mark = page.getByRole('region', { name: 'Step mark · User Update' });
      await mark.getByText('Next: the user exits the canvas.').waitFor();
      for (const name of ['Undo', 'Redo', 'Tidy layout', 'Make first step', 'Delete step', 'Remove link']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByLabel('Next step').count()).toBe(0);
      expect(await page.locator('.react-flow__handle.connectable').count()).toBe(0);
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });

  it('works with the keyboard only: Add step on a split branch, a Next step select, Delete step with Confirm, and Ctrl+Z outside text fields', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const id = await createCanvas('Keyboard walk');
    const watched = await adminPage();
    const { page } = watched;
    const keys = async (...pressed: string[]) => {
      for (const k of pressed) await page.keyboard.press(k);
    };
    try {
      await page.goto(`/canvases/${id}`);
      const addButton = page.getByRole('button', { name: 'Add step', exact: true });
      // The one pointer-free shortcut to a starting point; from here on only keys.
      await addButton.focus();
      // Decision Split is the menu's third item.
      await keys('Enter', 'ArrowDown', 'ArrowDown', 'Enter');
      const split = page.getByRole('region', { name: 'Step split · Decision Split' });
      await split.waitFor();
      expect(await focusedName(page)).toContain('Step split');
      // Back to the menu button, then to the branch radios after it: No branch.
      await addButton.focus();
      await keys('Tab', 'ArrowDown');
      expect(await page.getByRole('radio', { name: 'No branch' }).isChecked()).toBe(true);
      await keys('Shift+Tab', 'Enter', 'ArrowDown', 'Enter'); // Delay, on the no branch
      await page.getByRole('region', { name: 'Step delay · Delay' }).waitFor();
      expect(await split.getByLabel('If no').inputValue()).toBe('delay');

      // Delay's card has the focus: Tab to its Next step select (past its Wait unit).
      const delay = page.getByRole('region', { name: 'Step delay · Delay' });
      await delay.getByLabel('Wait unit').focus();
      await keys('Tab');
      expect(await focusedName(page)).toContain('Exit the canvas');
      // Its If yes: the split's yes branch is chosen from the split card by keyboard.
      await split.getByLabel('If yes').focus();
      await keys('ArrowDown');
      expect(await split.getByLabel('If yes').inputValue()).toBe('delay');

      // Delete step → Confirm, by keys: Cancel has the focus at first.
      await delay.getByRole('button', { name: 'Delete step' }).focus();
      await keys('Enter');
      expect(await focusedName(page)).toBe('Cancel');
      await keys('Shift+Tab', 'Enter');
      await delay.waitFor({ state: 'detached' });
      expect(await split.getByLabel('If yes').inputValue()).toBe('');
      expect(await split.getByLabel('If no').inputValue()).toBe('');

      // Ctrl+Z in the canvas Name is the field's own; elsewhere it undoes the delete.
      const name = page.getByLabel('Name', { exact: true });
      await name.focus();
      await keys('End', 'X', 'Control+z');
      expect(await page.getByRole('region', { name: 'Step delay · Delay' }).count()).toBe(0);
      await split.getByLabel('If yes').focus();
      await keys('Control+z');
      await page.getByRole('region', { name: 'Step delay · Delay' }).waitFor();
      expect(await split.getByLabel('If no').inputValue()).toBe('delay');
      await keys('Control+Shift+Z');
      await page.getByRole('region', { name: 'Step delay · Delay' }).waitFor({ state: 'detached' });
      await keys('Control+z', 'Control+y');
      await page.getByRole('region', { name: 'Step delay · Delay' }).waitFor({ state: 'detached' });
      await checkA11y(page);
      await screenshot(page, 'canvas-builder-keyboard');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
