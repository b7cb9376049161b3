/**
 * The OAuth state bound to the browser that started the connect (spec §9 OAuth; issue 16 finding 8).
 * The attack: a state leaks (a shared link, a log), and someone completes the consent with their own
 * TikTok account from their own browser, linking the workspace to their ad account. A connect started
 * from a dashboard session needs the cookie `connect` set in that browser; one started with an API key
 * (a script) is authorised by the single-use, 10-minute state alone; a cookie that does not match is
 * always refused. Sessions come with the dashboard, so a session-started connect is made here through
 * the service, as the dashboard's route will call it — no HTTP flag can ask for one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_TTL_MS, type BrowserCookie } from '../../src/sync/connections.ts';
import { describeEachStore } from '../support/databases.ts';
import { partnerHarness, type Answer, type PartnerHarness } from '../support/partners.ts';
import { consent } from '../support/tiktok.ts';

const REFUSED = /was already used, or it was started in another browser/;

const setCookieOf = (res: Answer): string[] => {
  const h = res.headers['set-cookie'];
  return h === undefined ? [] : Array.isArray(h) ? (h as string[]) : [String(h)];
};

describeEachStore('api: the OAuth state bound to the browser', ({ store }) => {
  let h: PartnerHarness;
  beforeAll(async () => {
    h = await partnerHarness(store());
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A connect started from a dashboard session, consented on TikTok: the callback's query and the browser's cookie. */
  async function sessionConnect(workspaceId: string): Promise<{ search: string; cookie: BrowserCookie; jar: Record<string, string> }> {
    const { authorize_url, cookie } = await h.connections.startConnect(workspaceId, 'session');
    const url = new URL(authorize_url);
    const back = await consent(h.emulator.url, { state: url.searchParams.get('state')!, redirectUri: url.searchParams.get('redirect_uri')! });
    return { search: back.search, cookie, jar: { [cookie.name]: cookie.value } };
  }

  it('connect sets an HttpOnly, SameSite=Lax cookie for the callback path only, lasting as long as the state', async () => {
    const { key } = await h.workspace();
    const res = await h.call(key, 'POST', '/api/partners/tiktok/connect');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authorize_url: expect.any(String) });
    const [line, ...more] = setCookieOf(res);
    expect(more).toEqual([]);
    const [pair, ...attributes] = line!.split('; ');
    expect(pair).toMatch(/^cohort_oauth_[0-9a-f]{24}=[A-Za-z0-9_-]{43}$/);
    expect(attributes.sort()).toEqual(['HttpOnly', 'Max-Age=600', 'Path=/oauth/tiktok', 'SameSite=Lax']); // no Secure over http
    expect(line).not.toContain(new URL(res.body.authorize_url).searchParams.get('state'));
  });

  describe('started from a dashboard session', () => {
    it('a leaked state is refused from a browser without its cookie, and stays usable by the browser that started it', async () => {
      const { id } = await h.workspace();
      const { search, jar } = await sessionConnect(id);
      const elsewhere = await h.callback(search);
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.text).toMatch(REFUSED);
      expect(elsewhere.text).toContain('Nothing was changed');
      expect(await store().getTikTokConnection(id)).toBeNull();

      const home = await h.callback(search, jar);
      expect(home.status).toBe(302);
      expect(home.headers.location).toBe('/partners/tiktok?connected=1');
      expect((await store().getTikTokConnection(id))?.status).toBe('connected');
    });

    it('a wrong cookie is refused: another value, or the cookie of another connect in the same browser', async () => {
      const { id } = await h.workspace();
      const first = await sessionConnect(id);
      const second = await sessionConnect(id);
      expect(second.cookie.name).not.toBe(first.cookie.name); // two connects in one browser keep both cookies
      for (const jar of [{ [first.cookie.name]: 'forged-nonce' }, { [first.cookie.name]: second.cookie.value }, { [first.cookie.name]: '' }, second.jar]) {
        const res = await h.callback(first.search, jar);
        expect(res.status, JSON.stringify(jar)).toBe(400);
        expect(res.text).toMatch(REFUSED);
      }
      expect(await store().getTikTokConnection(id)).toBeNull();
      expect((await h.callback(second.search, { ...first.jar, ...second.jar })).status).toBe(302);
    });

    it('the right cookie connects once: replayed, even with it, the state is refused', async () => {
      const { id } = await h.workspace();
      const { search, jar } = await sessionConnect(id);
      const done = await h.callback(search, jar);
      expect(done.status).toBe(302);
      // The binding is spent: the answer clears the cookie.
      const cleared = setCookieOf(done).find((line) => line.startsWith(`${Object.keys(jar)[0]}=;`));
      expect(cleared?.split('; ')).toEqual(expect.arrayContaining(['Max-Age=0', 'Path=/oauth/tiktok']));
      const before = await store().getTikTokConnection(id);
      const replay = await h.callback(search, jar);
      expect(replay.status).toBe(400);
      expect(await store().getTikTokConnection(id)).toEqual(before);
    });

    it('expires after 10 minutes, cookie or not', async () => {
      const { id } = await h.workspace();
      const { search, jar } = await sessionConnect(id);
      h.clock.advance(STATE_TTL_MS + 1);
      expect((await h.callback(search, jar)).status).toBe(400);
      expect(await store().getTikTokConnection(id)).toBeNull();
    });
  });

  describe('started with an API key (scripts)', () => {
    it('needs no cookie; refuses one that does not match, without using the state up; accepts the one connect set', async () => {
      const { id, key } = await h.workspace();
      const started = await h.call(key, 'POST', '/api/partners/tiktok/connect');
      const [pair] = setCookieOf(started)[0]!.split('; ');
      const [name, value] = pair!.split('=') as [string, string];
      const url = new URL(started.body.authorize_url);
      const back = await consent(h.emulator.url, { state: url.searchParams.get('state')!, redirectUri: url.searchParams.get('redirect_uri')! });

      const forged = await h.callback(back.search, { [name]: 'not-the-nonce' });
      expect(forged.status).toBe(400);
      expect(forged.text).toMatch(REFUSED);
      expect(await store().getTikTokConnection(id)).toBeNull();
      expect((await h.callback(back.search, { [name]: value })).status).toBe(302);

      const { id: other, key: otherKey } = await h.workspace();
      const plain = await h.startConnect(otherKey);
      const again = await consent(h.emulator.url, { state: plain.state, redirectUri: plain.redirectUri });
      expect((await h.callback(again.search)).status).toBe(302);
      expect((await store().getTikTokConnection(other))?.status).toBe('connected');
    });
  });
});

describeEachStore('api: the OAuth cookie under https', ({ store }) => {
  let h: PartnerHarness;
  beforeAll(async () => {
    h = await partnerHarness(store(), { publicUrl: 'https://cohort.example.com' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is Secure when COHORT_PUBLIC_URL is https', async () => {
    const { key } = await h.workspace();
    const res = await h.call(key, 'POST', '/api/partners/tiktok/connect');
    expect(String(res.headers['set-cookie']).split('; ')).toContain('Secure');
    expect(new URL(res.body.authorize_url).searchParams.get('redirect_uri')).toBe('https://cohort.example.com/oauth/tiktok/callback');
  });
});
