import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../core/clock.ts';
import { startEmulator, type RunningEmulator } from './index.ts';
import {
  adminPost, APP_ID, authCode, connect, EU, get, post, REDIRECT, SECRET, submitConsent, US,
} from './testing.ts';

const clock = fakeClock('2026-01-01T00:00:00Z');
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ clock });
});
afterAll(() => emu.close());

const consentUrl = (params: Record<string, string>): string => `${emu.url}/portal/auth?${new URLSearchParams(params)}`;
const exchange = (code: string, secret = SECRET) =>
  post(emu, '/oauth2/access_token/', { app_id: APP_ID, secret, auth_code: code });

describe('consent page', () => {
  it('renders a form with a checked box per advertiser, hidden fields and both buttons', async () => {
    const res = await fetch(consentUrl({ app_id: APP_ID, state: 'st-1', redirect_uri: REDIRECT }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>Authorize Cohort — TikTok for Business (emulator)</title>');
    expect(html).toContain(APP_ID);
    expect(html).toContain('<form method="post" action="/portal/auth">');
    for (const [id, name] of [[US, 'Acme US'], [EU, 'Acme EU']]) {
      expect(html).toContain(`<input type="checkbox" name="advertiser_ids" value="${id}" checked>`);
      expect(html).toMatch(new RegExp(`${name}.*${id}`));
    }
    expect(html).toContain('<input type="hidden" name="app_id" value="cohort-local-app">');
    expect(html).toContain('<input type="hidden" name="state" value="st-1">');
    expect(html).toContain(`<input type="hidden" name="redirect_uri" value="${REDIRECT}">`);
    expect(html).toContain('<button type="submit" name="decision" value="confirm">Confirm</button>');
    expect(html).toContain('<button type="submit" name="decision" value="cancel">Cancel</button>');
  });

  it('escapes user-supplied values', async () => {
    const html = await (await fetch(consentUrl({ app_id: APP_ID, state: '"><script>x</script>', redirect_uri: REDIRECT }))).text();
    expect(html).not.toContain('<script>x');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });

  it.each([
    [{ app_id: 'someone-else', redirect_uri: REDIRECT }, 'Unknown app_id'],
    [{ redirect_uri: REDIRECT }, 'app_id parameter is missing'],
    [{ app_id: APP_ID }, 'redirect_uri parameter is missing'],
    [{ app_id: APP_ID, redirect_uri: 'not a url' }, 'not an absolute URL'],
    [{ app_id: APP_ID, redirect_uri: 'javascript:alert(1)' }, 'must use http or https'],
  ])('refuses %j with a 400 page saying why', async (params, reason) => {
    const res = await fetch(consentUrl(params));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(reason);
  });

  it('confirm redirects with auth_code, code and state, keeping the redirect_uri query', async () => {
    const res = await submitConsent(emu, { advertiserIds: [US], state: 'abc', redirectUri: `${REDIRECT}?ws=42` });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
    expect(loc.searchParams.get('ws')).toBe('42');
    expect(loc.searchParams.get('auth_code')).toMatch(/^[0-9a-f]{40}$/);
    expect(loc.searchParams.get('code')).toBe(loc.searchParams.get('auth_code'));
    expect(loc.searchParams.get('state')).toBe('abc');
  });

  it('omits state when none was given', async () => {
    const res = await submitConsent(emu, { advertiserIds: [US] });
    expect(new URL(res.headers.get('location')!).searchParams.has('state')).toBe(false);
  });

  it('cancel redirects with error=access_denied and no code', async () => {
    const res = await submitConsent(emu, { decision: 'cancel', state: 'abc' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('abc');
    expect(loc.searchParams.has('auth_code')).toBe(false);
  });

  it('confirm with no advertiser checked re-renders the form with an error', async () => {
    const res = await submitConsent(emu, { advertiserIds: [], state: 'abc' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Select at least one ad account');
    expect(html).toContain('<form method="post" action="/portal/auth">');
    expect(html).not.toContain(' checked>'); // what the user submitted, not the defaults
  });

  it('refuses a redirect_uri other than the pinned one', async () => {
    const pinned = await startEmulator({ redirectUri: REDIRECT });
    try {
      const other = await fetch(`${pinned.url}/portal/auth?app_id=${APP_ID}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`);
      expect(other.status).toBe(400);
      expect(await other.text()).toContain('does not match');
      const same = await fetch(`${pinned.url}/portal/auth?app_id=${APP_ID}&redirect_uri=${encodeURIComponent(REDIRECT)}`);
      expect(same.status).toBe(200);
      const posted = await submitConsent(pinned, { advertiserIds: [US], redirectUri: 'https://evil.example/cb' });
      expect(posted.status).toBe(400);
    } finally {
      await pinned.close();
    }
  });
});

describe('token exchange', () => {
  it('returns a 40-hex token, the granted advertisers and scope, in the exact envelope', async () => {
    const res = await exchange(await authCode(emu, [EU]));
    expect(Object.keys(res).sort()).toEqual(['code', 'data', 'message', 'request_id']);
    expect(res).toMatchObject({ code: 0, message: 'OK', data: { advertiser_ids: [EU], scope: [4, 5, 6] } });
    expect(res.data.access_token).toMatch(/^[0-9a-f]{40}$/);
    expect(res.request_id).toMatch(/^20260101000000[0-9A-F]{16}$/); // the fake clock's UTC time + 16 hex
    expect(res.data).not.toHaveProperty('refresh_token');
  });

  it('accepts the path without its trailing slash', async () => {
    const code = await authCode(emu);
    const res = await fetch(`${emu.url}/open_api/v1.3/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP_ID, secret: SECRET, auth_code: code }),
    });
    expect(((await res.json()) as { code: number }).code).toBe(0);
  });

  it('an auth code works once', async () => {
    const code = await authCode(emu);
    expect((await exchange(code)).code).toBe(0);
    const again = await exchange(code);
    expect(again).toMatchObject({ code: 40110, data: {} });
  });

  it('an auth code expires 10 minutes after issue', async () => {
    const atLimit = await authCode(emu);
    const late = await authCode(emu);
    clock.advance(10 * 60_000);
    expect((await exchange(atLimit)).code).toBe(0);
    clock.advance(1);
    expect((await exchange(late)).code).toBe(40110);
  });

  it('refuses an unknown code, a bad secret and a missing field', async () => {
    expect((await exchange('f'.repeat(40))).code).toBe(40110);
    expect(await exchange(await authCode(emu), 'wrong')).toMatchObject({ code: 40101, message: 'Invalid App ID or secret.' });
    const missing = await post(emu, '/oauth2/access_token/', { app_id: APP_ID, secret: SECRET });
    expect(missing).toMatchObject({ code: 40002, message: 'auth_code: is required' });
  });

  it('answers an unparsable body with a 40002 envelope', async () => {
    const res = await fetch(`${emu.url}/open_api/v1.3/oauth2/access_token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"app_id":',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 40002, message: expect.stringMatching(/^body: invalid JSON/) });
  });
});

describe('token checks and account routes', () => {
  it('advertiser/get lists exactly the granted advertisers', async () => {
    const token = await connect(emu, [US]);
    const res = await get(emu, '/oauth2/advertiser/get/', { app_id: APP_ID, secret: SECRET }, token);
    expect(res.data.list).toEqual([{ advertiser_id: US, advertiser_name: 'Acme US' }]);
    expect((await get(emu, '/oauth2/advertiser/get/', { app_id: APP_ID, secret: 'x' }, token)).code).toBe(40101);
    expect((await get(emu, '/oauth2/advertiser/get/', { app_id: APP_ID }, token)).code).toBe(40002);
  });

  it('advertiser/info returns details, honours fields, and refuses an advertiser not granted', async () => {
    const token = await connect(emu, [US]);
    const full = await get(emu, '/advertiser/info/', { advertiser_ids: [US] }, token);
    expect(full.data.list![0]).toMatchObject({ advertiser_id: US, name: 'Acme US', status: 'STATUS_ENABLE', currency: 'USD', role: 'ROLE_ADVERTISER' });
    const some = await get(emu, '/advertiser/info/', { advertiser_ids: [US], fields: ['name', 'currency'] }, token);
    expect(some.data.list).toEqual([{ advertiser_id: US, name: 'Acme US', currency: 'USD' }]);
    const denied = await get(emu, '/advertiser/info/', { advertiser_ids: [US, EU] }, token);
    expect(denied).toMatchObject({
      code: 40001,
      message: `No permission to operate advertiser ${EU}. You must be an admin or operator of this advertiser account.`,
    });
    const bad = await get(emu, '/advertiser/info/', { advertiser_ids: 'not-json' }, token);
    expect(bad).toMatchObject({ code: 40002, message: expect.stringMatching(/^advertiser_ids: /) });
  });

  it('user/info answers GET and POST', async () => {
    const token = await connect(emu);
    const viaGet = await get(emu, '/user/info/', {}, token);
    expect(viaGet).toMatchObject({ code: 0, data: { display_name: expect.any(String), core_user_id: expect.any(String) } });
    expect((await post(emu, '/user/info/', {}, token)).code).toBe(0);
  });

  it('a missing token is 40104, an unknown one 40105', async () => {
    expect(await get(emu, '/user/info/', {})).toMatchObject({ code: 40104, message: 'Access token is empty.', data: {} });
    expect(await get(emu, '/user/info/', {}, '')).toMatchObject({ code: 40104 });
    expect(await get(emu, '/user/info/', {}, 'nope')).toMatchObject({
      code: 40105,
      message: 'Access token is incorrect or has been revoked.',
    });
  });

  it('revoke_token revokes the token and reports its advertisers', async () => {
    const token = await connect(emu, [US, EU]);
    const res = await post(emu, '/oauth2/revoke_token/', { app_id: APP_ID, secret: SECRET, access_token: token });
    expect(res).toMatchObject({ code: 0, data: { app_id: APP_ID, advertiser_ids: [US, EU] } });
    expect((await get(emu, '/user/info/', {}, token)).code).toBe(40105);
    expect((await post(emu, '/oauth2/revoke_token/', { app_id: APP_ID, secret: SECRET, access_token: token })).code).toBe(40105);
  });

  it('the admin API revokes one token or all of them', async () => {
    const [a, b, c] = [await connect(emu), await connect(emu), await connect(emu)];
    expect(await adminPost(emu, '/tokens/revoke', { access_token: a })).toMatchObject({ status: 200, json: { revoked: 1 } });
    expect((await get(emu, '/user/info/', {}, a)).code).toBe(40105);
    expect((await get(emu, '/user/info/', {}, b)).code).toBe(0);
    await adminPost(emu, '/tokens/revoke', { all: true });
    expect((await get(emu, '/user/info/', {}, b)).code).toBe(40105);
    expect((await get(emu, '/user/info/', {}, c)).code).toBe(40105);
    expect((await adminPost(emu, '/tokens/revoke', { nope: 1 })).status).toBe(400);
  });
});
