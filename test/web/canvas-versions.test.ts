/**
 * Issue 19 items 3–5 in Chromium against `cohort serve`: what launch would refuse shows on the step as
 * the user edits (calmly, not as an alert) and goes when fixed, the TikTok connection's reason at the
 * top; the JSON view applies, refuses broken text in words, and export → import → export is
 * byte-identical; an active canvas is edited and saved as version 2, which the Versions table shows
 * with the member's email, while the user already inside stays counted on version 1.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';

const pageWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);

const WINBACK = {
  name: 'Winback',
  entry: { type: 'api' },
  audience: null,
  first_step: 'wait',
  steps: [
    { id: 'wait', type: 'delay', config: { seconds: 3600 }, next: 'mark' },
    { id: 'mark', type: 'user_update', config: { set: { winback: true } }, next: null },
  ],
};

describe.skipIf(browserMissing !== null)(`web: versions, the JSON view and validation as you edit${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let admin: SessionApi;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
    admin = await setupAdmin(dashboard.url, { email: 'mara@example.com' });
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('live problems, JSON view, launch, then an edit of the active canvas saved as version 2', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const created = await admin.call('POST', '/api/canvases', WINBACK);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const watched = await newWatchedPage(browser, dashboard.url);
    await signInContext(watched.context, admin);
    const { page } = watched;
    try {
      await page.goto(`/canvases/${id}`);
      const wait = page.getByRole('region', { name: 'Step wait · Delay' });
      const waitFor = wait.getByLabel('Wait', { exact: true });
      await waitFor.waitFor();
      // The delay in seconds, so that what is typed is the stored number.
      await wait.getByLabel('Wait unit').selectOption('seconds');

      // Validation as you edit: the reason appears on the step, calmly, and goes once fixed.
      await waitFor.fill('');
      await wait.getByText('delay needs seconds').waitFor();
      expect(await wait.getByRole('alert').count()).toBe(0);
      await waitFor.fill('60');
      await wait.getByText('delay needs seconds').waitFor({ state: 'detached' });

      // The JSON view: a canvas with an Audience Sync step, applied, shows the connection's reason at the top.
      const json = page.getByLabel('Canvas JSON');
      const before = await json.inputValue();
      expect(JSON.parse(before)).toMatchObject({ name: 'Winback', first_step: 'wait', steps: [{ id: 'wait', config: { seconds: 60 } }, { id: 'mark' }] });
      const withSync = { ...JSON.parse(before), first_step: 'sync', steps: [{ id: 'sync', type: 'audience_sync', config: { fields: ['email'] }, next: 'wait' }, ...JSON.parse(before).steps] };
      await json.fill(JSON.stringify(withSync));
      await page.getByRole('button', { name: 'Apply JSON', exact: true }).click();
      await page.getByText(/^TikTok: not connected/).waitFor();
      await page.getByRole('region', { name: 'Step sync · Audience Sync' }).getByText('audience_sync needs an advertiser_id', { exact: true }).waitFor();
      await checkA11y(page);
      await screenshot(page, 'canvas-live-problems');

      // Broken text is refused in words and nothing is applied; by keyboard alone: type, Tab to Apply JSON, Enter.
      await json.focus();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('{"name": "Winback", ');
      await page.keyboard.press('Tab');
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Apply JSON');
      await page.keyboard.press('Enter');
      await page.getByRole('alert').filter({ hasText: 'Not applied: This is not valid JSON' }).waitFor();
      await json.fill(JSON.stringify({ ...WINBACK, steps: [{ id: 'wait', type: 'delay', config: { seconds: 'soon' }, next: null }] }));
      await page.getByRole('button', { name: 'Apply JSON', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: /Not applied: this is not a canvas: steps\.0\.config\.seconds/ }).waitFor();
      expect(await page.getByRole('region', { name: 'Step sync · Audience Sync' }).count()).toBe(1);

      // Back to the two steps: the connection's reason goes.
      await json.fill(before);
      await page.getByRole('button', { name: 'Apply JSON', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Applied' }).waitFor();
      await page.getByText(/^TikTok: not connected/).waitFor({ state: 'detached' });
      expect(await page.getByRole('region', { name: 'Step sync · Audience Sync' }).count()).toBe(0);

      // Export → Import → Export: the same bytes.
      const exportOnce = async () => {
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export', exact: true }).click()]);
        expect(download.suggestedFilename()).toBe('Winback.json');
        return { path: (await download.path())!, text: await readFile((await download.path())!, 'utf8') };
      };
      const first = await exportOnce();
      expect(first.text).toBe(before);
      expect(first.text.endsWith('}\n')).toBe(true);
      await page.getByLabel('Import').setInputFiles(first.path);
      await page.getByRole('status').filter({ hasText: /^Imported / }).waitFor();
      const second = await exportOnce();
      expect(second.text).toBe(first.text);

      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await page.getByRole('button', { name: 'Launch', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Launched' }).waitFor();
      expect((await admin.call('POST', '/api/canvas/trigger/send', { canvas_id: id, recipients: [{ external_user_id: 'early-bird' }] })).status).toBe(201);

      // The active canvas is edited and saved as version 2; the user inside stays on version 1.
      await wait.getByLabel('Wait unit').selectOption('seconds');
      await waitFor.fill('120');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Saved as version 2: users already in the canvas finish on version 1' }).waitFor();
      const versions = page.getByRole('table', { name: 'Versions' });
      expect(await versions.getByRole('columnheader').allInnerTexts()).toEqual(['Version', 'Saved', 'Saved by', 'Users in']);
      const v2 = versions.getByRole('row').filter({ has: page.getByRole('cell', { name: /^2/ }) });
      await v2.getByRole('cell', { name: 'mara@example.com' }).waitFor();
      const cells = async (n: number) => (await versions.getByRole('row').nth(n).getByRole('cell').allInnerTexts()).map((t) => t.trim());
      expect(await cells(1)).toEqual(['2latest', 'just now', 'mara@example.com', '0']);
      expect(await cells(2)).toEqual(['1', 'just now', 'mara@example.com', '1']);
      expect((await admin.call('GET', `/api/canvases/${id}`)).body).toMatchObject({ status: 'active', version: 2, steps: [{ id: 'wait', config: { seconds: 120 } }, { id: 'mark' }] });
      await checkA11y(page);
      await screenshot(page, 'canvas-versions');

      await page.setViewportSize({ width: 390, height: 844 });
      expect(await pageWidth(page)).toBeLessThanOrEqual(390);
      await screenshot(page, 'canvas-versions-mobile');
      await watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
