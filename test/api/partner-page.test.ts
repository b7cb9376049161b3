/**
 * The public pages around the OAuth callback (issue 16 findings 8–9): anyone can link a browser to
 * `/partners/tiktok?error=…` or to the callback with any query, so neither may answer 500 for a
 * prototype key, repeat a stranger's sentence on Cohort's origin, or put a state or code on a page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachStore } from '../support/databases.ts';
import { partnerHarness, type PartnerHarness } from '../support/partners.ts';
import { consent } from '../support/tiktok.ts';

describeEachStore('api: the partner page and the callback page', ({ store }) => {
  let h: PartnerHarness;
  beforeAll(async () => {
    h = await partnerHarness(store());
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET / is a page that says Cohort is running and where to go, not a JSON 404, and says when the emulator is built in', async () => {
    const page = await h.call(null, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('<h1>Cohort is running</h1>');
    expect(page.text).toContain('<a href="/api/docs">');
    expect(page.text).toContain('Built-in TikTok emulator');
    expect(page.text).not.toContain('<script');
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('answers ?error=%s with a page, not a 500', async (code) => {
    const page = await h.call(null, 'GET', `/partners/tiktok?error=${code}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<p class="error">TikTok was not connected\b/);
  });

  it('shows a known code in words, and never repeats text that is not a code', async () => {
    expect((await h.call(null, 'GET', '/partners/tiktok?error=access_denied')).text).toContain('the consent was cancelled on TikTok');
    for (const text of ['<script>alert(1)</script>', 'Your TikTok account is suspended: call +1 555 0100', '"><img src=x onerror=alert(1)>']) {
      const page = await h.call(null, 'GET', `/partners/tiktok?error=${encodeURIComponent(text)}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<p class="error">TikTok was not connected. Start connecting again.</p>');
      for (const piece of ['<script>', 'alert(1)', 'suspended', '555 0100', 'onerror']) expect(page.text).not.toContain(piece);
    }
  });

  it('a callback carrying error=constructor lands on a page that works', async () => {
    const { key } = await h.workspace();
    const { state, redirectUri } = await h.startConnect(key);
    const back = await h.callback(`?${new URLSearchParams({ error: 'constructor', state })}`);
    expect(back.status).toBe(302);
    expect(back.headers.location).toBe('/partners/tiktok?error=constructor');
    expect((await h.call(null, 'GET', back.headers.location as string)).status).toBe(200);
    expect(redirectUri).toMatch(/\/oauth\/tiktok\/callback$/);
  });

  it('never puts the state or the code on the callback pages', async () => {
    const { key } = await h.workspace();
    const { state, redirectUri } = await h.startConnect(key);
    const back = await consent(h.emulator.url, { state, redirectUri });
    const code = back.searchParams.get('auth_code')!;
    const hostile = '<b>x</b>"\'&';
    const pages = [
      await h.callback(`?${new URLSearchParams({ auth_code: code, state: `${state}x` })}`),
      await h.callback(`?${new URLSearchParams({ auth_code: hostile, code: hostile, state: hostile })}`),
      await h.callback(`?${new URLSearchParams({ auth_code: code })}`),
    ];
    for (const page of pages) {
      expect(page.status).toBe(400);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      for (const secret of [state, code, hostile, '<b>x</b>']) expect(page.text).not.toContain(secret);
    }
    const done = await h.callback(back.search);
    expect(done.status).toBe(302);
    expect(String(done.headers.location)).not.toContain(code);
    expect(String(done.headers.location)).not.toContain(state);
  });
});
