/**
 * The admin API cannot be driven by a web page (spec §6; issue 16 finding 8): what a browser sends for
 * another site's page (its Origin, Sec-Fetch-Site, a form or text/plain body) is refused before the route
 * runs, while scripts (no Origin, a JSON body or none) keep working.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ownOrigins } from './admin-guard.ts';
import { startEmulator, type RunningEmulator } from './index.ts';
import { adminGet, adminPost, connect, createAudience, get, US } from './testing.ts';

let emu: RunningEmulator;
let token: string;
let audience: string;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(async () => {
  await adminPost(emu, '/reset');
  token = await connect(emu, [US]);
  audience = await createAudience(emu, token);
});

/** node:http, so that any header a browser would send can be sent as is. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${emu.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Nothing the attacks aimed at happened: the audience, the token and the faults are as before. */
async function untouched(): Promise<void> {
  expect((await adminGet(emu, `/audiences/${audience}/members`)).status).toBe(200);
  expect((await get(emu, '/user/info/', {}, token)).code).toBe(0);
  expect((await adminGet(emu, '/faults')).json).toEqual({});
}

describe('admin API from a web page', () => {
  it.each([
    ['another site', 'https://evil.example'],
    ['an opaque origin (sandboxed frame, file)', 'null'],
    ["another port of the emulator's host (Cohort's pages)", 'http://127.0.0.1:8080'],
  ])("refuses a request carrying %s's Origin, whatever its body", async (_what, origin) => {
    const json = { origin, 'content-type': 'application/json' };
    const refusals = [
      await send('POST', '/_emulator/reset', { origin }),
      await send('POST', '/_emulator/tokens/revoke', json, JSON.stringify({ all: true })),
      await send('POST', '/_emulator/faults', json, JSON.stringify({ error_rate: 1 })),
      await send('POST', `/_emulator/audiences/${audience}/delete`, { origin }),
      await send('GET', '/_emulator/stats', { origin }),
    ];
    for (const r of refusals) {
      expect(r.status).toBe(403);
      expect(r.json.error).toMatch(/Origin is not the emulator's own/);
    }
    await untouched();
  });

  it.each(['cross-site', 'same-site'])('refuses Sec-Fetch-Site: %s (a page fetching without an Origin header, e.g. a GET)', async (site) => {
    const headers = { 'sec-fetch-site': site };
    expect(await send('GET', '/_emulator/stats', headers)).toMatchObject({ status: 403, json: { error: expect.stringContaining(site) } });
    expect((await send('POST', '/_emulator/reset', headers)).status).toBe(403);
    await untouched();
  });

  it.each([
    ['a form', 'application/x-www-form-urlencoded', 'all=true'],
    ['text/plain holding JSON', 'text/plain', '{"all":true}'],
    ['an empty text/plain body', 'text/plain;charset=UTF-8', ''],
    ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="all"\r\n\r\ntrue\r\n--x--\r\n'],
  ])('refuses %s (what a page can send without a CORS preflight), even without an Origin', async (_what, type, body) => {
    for (const path of ['/_emulator/tokens/revoke', '/_emulator/reset', '/_emulator/faults']) {
      const r = await send('POST', path, { 'content-type': type }, body);
      expect(r.status, path).toBe(415);
      expect(r.json.error).toMatch(/JSON body/);
    }
    await untouched();
  });

  it('decides on the route as matched: a percent-encoded path is refused the same way', async () => {
    const r = await send('POST', '/%5Femulator/reset', { origin: 'https://evil.example' });
    expect(r.status).not.toBe(200);
    await untouched();
  });
});

describe('admin API from a script', () => {
  it('works with no Origin and a JSON body or no body, and from its own origin', async () => {
    expect((await send('GET', '/_emulator/stats')).status).toBe(200);
    expect((await send('POST', '/_emulator/faults', { 'content-type': 'application/json' }, JSON.stringify({ latency_ms: 1 }))).json).toEqual({ latency_ms: 1 });
    expect((await send('POST', '/_emulator/faults', { 'content-type': 'application/json; charset=utf-8' }, '{}')).status).toBe(200);
    expect((await send('POST', '/_emulator/tokens/revoke', { 'content-type': 'application/json' }, JSON.stringify({ access_token: token }))).json).toEqual({ revoked: 1 });
    // A browser tab on the emulator itself (devtools, a typed URL) is same-origin.
    for (const origin of [emu.url, `http://localhost:${emu.port}`]) {
      expect((await send('GET', '/_emulator/stats', { origin, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    }
    expect((await send('GET', '/_emulator/stats', { 'sec-fetch-site': 'none' })).status).toBe(200);
    expect((await send('POST', '/_emulator/reset')).json).toEqual({ reset: true });
  });

  it("leaves TikTok's own routes alone: the consent form is a form, by design", async () => {
    const form = new URLSearchParams({ app_id: 'cohort-local-app', redirect_uri: 'http://localhost:3000/cb', state: 's', decision: 'cancel' });
    const r = await fetch(`${emu.url}/portal/auth`, { method: 'POST', body: form, redirect: 'manual', headers: { origin: 'https://elsewhere.example' } });
    expect(r.status).toBe(302);
  });
});

describe('ownOrigins', () => {
  it('is the listening address, plus the loopback names when it listens on loopback or everywhere', () => {
    expect([...ownOrigins('127.0.0.1', 9400)]).toEqual(['http://127.0.0.1:9400', 'http://localhost:9400', 'http://[::1]:9400']);
    expect(ownOrigins('0.0.0.0', 9400).has('http://localhost:9400')).toBe(true);
    expect([...ownOrigins('10.0.0.5', 9400)]).toEqual(['http://10.0.0.5:9400']);
  });
});
