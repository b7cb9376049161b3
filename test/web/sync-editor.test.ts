/**
 * The Audience Sync step editor in a browser (issue #17 item 4, spec §8 "audience sync step", Braze's
 * step 3): on a draft canvas's page, choose the ad account, create an audience from the combobox's
 * "Create new audience" option (it exists at the emulator at once), pick an existing one by keyboard,
 * tick fields, save, reload. And TikTok's 400-audience cap, in words, at the top of the step.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, checkA11y, newWatchedPage, openBrowser, screenshot, startDashboard, type Dashboard } from '../support/browser.ts';
import { connectTikTok, setupAdmin, signInContext, type SessionApi } from '../support/dashboard-api.ts';
import { emulatorAdmin, SEED } from '../support/tiktok.ts';

const [ACME_US, ACME_EU] = SEED.advertisers;
const TEST_TIMEOUT = 60_000;

async function createAudience(admin: SessionApi, advertiserId: string, name: string): Promise<string> {
  const created = await admin.call('POST', '/api/partners/tiktok/audiences', { advertiser_id: advertiserId, name });
  if (created.status !== 201) throw new Error(`audience create answered ${created.status}: ${JSON.stringify(created.body)}`);
  return created.body.audience_id as string;
}

/** A draft canvas (api entry) whose only step is an Audience Sync step with nothing chosen yet. */
async function draftCanvas(admin: SessionApi, stepId: string): Promise<string> {
  const created = await admin.call('POST', '/api/canvases', {
    name: `Retarget ${stepId}`,
    entry: { type: 'api' },
    audience: null,
    first_step: stepId,
    steps: [{ id: stepId, type: 'audience_sync', next: null, config: { partner: 'tiktok', action: 'add', fields: [] } }],
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** The step card the canvas page renders around the editor: a section named with the step id. */
const stepCard = (page: Page, stepId: string): Locator => page.getByRole('region', { name: new RegExp(stepId) });

describe.skipIf(browserMissing !== null)(`Audience Sync step editor${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let admin: SessionApi;

  beforeAll(async () => {
    dashboard = await startDashboard();
    browser = await openBrowser();
    admin = await setupAdmin(dashboard.url);
    await connectTikTok(admin, dashboard.emulatorUrl, [ACME_US, ACME_EU]);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it(
    'creates an audience from the combobox at once, picks an existing one by keyboard, and keeps the step after Save and a reload',
    async () => {
      const existingId = await createAudience(admin, ACME_US, 'Lapsed buyers');
      const canvasId = await draftCanvas(admin, 'tiktok-vip');
      const watched = await newWatchedPage(browser, dashboard.url);
      const { page } = watched;
      await signInContext(watched.context, admin);
      const started = Date.now();

      await page.goto(`/canvases/${canvasId}`);
      const step = stepCard(page, 'tiktok-vip');
      await expect.poll(() => step.getByText('TikTok', { exact: false }).first().isVisible()).toBe(true);
      const account = step.getByLabel('Ad account');
      await expect.poll(() => account.locator('option').allTextContents()).toEqual(['Choose an ad account', 'Acme US', 'Acme EU']);
      await account.selectOption({ label: 'Acme US' });

      // A new name (markup included: it must stay text) is offered as the combobox's last option.
      const name = 'Summer <b>VIPs</b>';
      const audience = step.getByRole('combobox', { name: 'Audience' });
      await audience.fill(name);
      await expect.poll(() => audience.getAttribute('aria-expanded')).toBe('true');
      const createOption = step.getByRole('option', { name: `Create new audience: ${name}` });
      await createOption.click();
      await expect.poll(() => step.getByRole('status').textContent()).toBe(`Created audience “${name}” in Acme US`);
      expect(await audience.inputValue()).toBe(name);
      expect(await step.locator('b').count()).toBe(0);
      await screenshot(page, 'sync-editor');

      // It exists at TikTok (the emulator) already, on a draft canvas.
      const listed = await admin.call('GET', `/api/partners/tiktok/audiences?advertiser_id=${ACME_US}`);
      const created = (listed.body.audiences as { audience_id: string; name: string }[]).find((a) => a.name === name);
      expect(created).toBeDefined();
      const atEmulator = await emulatorAdmin<{ audience_id: string }>(dashboard.emulatorUrl, `/audiences/${created!.audience_id}/members`);
      expect(atEmulator.audience_id).toBe(created!.audience_id);

      // Part of an existing name, any case: offered, and chosen with the keyboard alone.
      await audience.fill('LAPSED');
      const options = step.getByRole('listbox').getByRole('option');
      await expect.poll(() => options.allTextContents()).toEqual(['Lapsed buyers', 'Create new audience: LAPSED']);
      await audience.press('ArrowDown');
      const first = await options.first().getAttribute('id');
      expect(await audience.getAttribute('aria-activedescendant')).toBe(first);
      expect(await options.first().getAttribute('aria-selected')).toBe('true');
      await audience.press('Enter');
      expect(await audience.getAttribute('aria-expanded')).toBe('false');
      expect(await audience.inputValue()).toBe('Lapsed buyers');

      await step.getByRole('checkbox', { name: 'Email' }).check();
      await step.getByRole('checkbox', { name: 'Phone' }).check();
      expect(await step.getByRole('radio', { name: 'Add users' }).isChecked()).toBe(true);

      const saved = page.waitForResponse((r) => r.url().endsWith(`/api/canvases/${canvasId}`) && r.request().method() === 'PUT');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      expect((await saved).status()).toBe(200);
      const stored = await admin.call('GET', `/api/canvases/${canvasId}`);
      expect(stored.body.steps[0].config).toEqual({ partner: 'tiktok', advertiser_id: ACME_US, audience_id: existingId, action: 'add', fields: ['email', 'phone'] });

      await page.reload();
      await expect.poll(() => stepCard(page, 'tiktok-vip').getByRole('combobox', { name: 'Audience' }).inputValue()).toBe('Lapsed buyers');
      const again = stepCard(page, 'tiktok-vip');
      expect(await again.getByLabel('Ad account').inputValue()).toBe(ACME_US);
      const ticked = await Promise.all(['Email', 'Phone', 'IDFA', 'GAID'].map((f) => again.getByRole('checkbox', { name: f }).isChecked()));
      expect(ticked).toEqual([true, true, false, false]);
      expect(await again.getByRole('radio', { name: 'Add users' }).isChecked()).toBe(true);
      expect(Date.now() - started).toBeLessThan(15_000);

      await checkA11y(page);
      // On a phone, with the list open as a marketer sees it while searching.
      await page.setViewportSize({ width: 390, height: 844 });
      await again.getByRole('combobox', { name: 'Audience' }).fill('s');
      await screenshot(page, 'sync-editor-phone');

      // Once launched the step stays editable: saving an active canvas makes a new version (issue 19;
      // test/web/canvas-versions.test.ts), and users already inside keep theirs.
      expect((await admin.call('POST', `/api/canvases/${canvasId}/launch`)).status).toBe(200);
      await page.reload();
      const live = stepCard(page, 'tiktok-vip');
      await expect.poll(() => live.getByRole('combobox', { name: 'Audience' }).inputValue()).toBe('Lapsed buyers');
      expect(await live.getByLabel('Ad account').isDisabled()).toBe(false);
      for (const name of ['Email', 'Phone', 'IDFA', 'GAID']) expect(await live.getByRole('checkbox', { name }).isDisabled()).toBe(false);
      expect(await live.getByRole('radio', { name: 'Add users' }).isDisabled()).toBe(false);
      await watched.assertClean();
      await watched.close();
    },
    TEST_TIMEOUT,
  );

  it(
    "shows TikTok's 400-audience cap, in words, at the top of the step",
    async () => {
      // Fill Acme EU to TikTok's cap through Cohort's API, as fast as it allows (creates are serialised per ad account).
      const filling = Date.now();
      for (let i = 1; i <= 400; i += 1) await createAudience(admin, ACME_EU, `Filler ${i}`);
      const fillMs = Date.now() - filling;
      expect(fillMs).toBeLessThan(10_000);

      const canvasId = await draftCanvas(admin, 'eu-sync');
      const watched = await newWatchedPage(browser, dashboard.url);
      const { page } = watched;
      await signInContext(watched.context, admin);
      watched.expectStatus(409, '/api/partners/tiktok/audiences');
      const started = Date.now();

      await page.goto(`/canvases/${canvasId}`);
      const step = stepCard(page, 'eu-sync');
      await step.getByLabel('Ad account').selectOption({ label: 'Acme EU' });
      const audience = step.getByRole('combobox', { name: 'Audience' });
      await audience.fill('One too many');
      // Offered once the 400 are listed; Escape closes the list and keeps the name for the button.
      await step.getByRole('option', { name: 'Create new audience: One too many' }).waitFor();
      await audience.press('Escape');
      expect(await audience.getAttribute('aria-expanded')).toBe('false');
      await step.getByRole('button', { name: 'Create audience' }).click();

      const alert = step.getByRole('alert');
      await expect.poll(() => alert.textContent()).toMatch(/Could not create audience “One too many” in Acme EU/);
      const words = (await alert.textContent()) ?? '';
      expect(words).toMatch(/at most 400 audiences per ad account/);
      expect(words).toMatch(new RegExp(`ad account ${ACME_EU} has reached it`));
      // At the top of the step, above the fields.
      const alertTop = (await alert.boundingBox())!.y;
      expect(alertTop).toBeLessThan((await step.getByLabel('Ad account').boundingBox())!.y);
      // Nothing chosen, nothing created.
      expect(await audience.inputValue()).toBe('One too many');
      const listed = await admin.call('GET', `/api/partners/tiktok/audiences?advertiser_id=${ACME_EU}`);
      expect(listed.body.audiences).toHaveLength(400);
      expect(Date.now() - started).toBeLessThan(15_000);
      console.log(`filled ${ACME_EU} with 400 audiences in ${fillMs} ms`);

      await screenshot(page, 'sync-editor-cap');
      await watched.assertClean();
      await watched.close();
    },
    TEST_TIMEOUT,
  );
});
