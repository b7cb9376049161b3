/**
 * The browser harness itself (test/support/browser.ts) catches what it promises to: a browser test
 * that passes because the watcher saw nothing must mean there was nothing to see.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, browserMissing, checkA11y, newWatchedPage, openBrowser, startDashboard, type Dashboard } from '../support/browser.ts';

describe.skipIf(browserMissing !== null)(`web: the browser harness${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  beforeAll(async () => {
    [dashboard, browser] = await Promise.all([startDashboard(), openBrowser()]);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  });

  it('reports an undeclared 4xx, a console error, a page error and a request to another origin; a declared status is not a problem', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      watched.expectStatus(401, '/api/session');
      await watched.page.goto('/setup');
      await watched.page.getByRole('button', { name: 'Create workspace' }).waitFor();
      expect(watched.problems()).toEqual([]);
      await watched.page.evaluate(async () => {
        await fetch('/api/nope');
        console.error('something broke');
        setTimeout(() => {
          throw new Error('uncaught in the page');
        });
        // The CSP refuses it (connect-src 'self'); the attempt is reported all the same.
        await fetch('http://192.0.2.1:9/x').catch(() => {});
      });
      await watched.page.waitForTimeout(200);
      const problems = watched.problems().join('\n');
      expect(problems).toContain('answer 404: GET');
      expect(problems).toContain('console error: something broke');
      expect(problems).toContain('page error: uncaught in the page');
      expect(problems).toContain('http://192.0.2.1:9/x');
      // The declared 401 is not reported (match the answer, not a port number that happens to hold 401).
      expect(problems).not.toMatch(/answer 401|status of 401/);
      await expect(watched.assertClean()).rejects.toThrow(/the browser saw problems/);
    } finally {
      await watched.close();
    }
  });

  it('checkA11y fails on a serious violation and names its rule and target', { timeout: BROWSER_TEST_TIMEOUT }, async () => {
    const watched = await newWatchedPage(browser, dashboard.url);
    try {
      watched.expectStatus(401, '/api/session');
      await watched.page.goto('/setup');
      await watched.page.getByRole('button', { name: 'Create workspace' }).waitFor();
      await watched.page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { createElement(tag: string): { id: string; type: string }; body: { append(el: unknown): void } } }).document;
        const input = doc.createElement('input');
        input.id = 'unlabelled-field';
        input.type = 'text';
        doc.body.append(input);
      });
      await expect(checkA11y(watched.page)).rejects.toThrow(/label \(critical\).*#unlabelled-field/s);
    } finally {
      await watched.close();
    }
  });
});
