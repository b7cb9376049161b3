import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../core/clock.ts';
import { startEmulator, type RunningEmulator } from './index.ts';
import { adminGet, adminPost, connect, createAudience, emailMapping, get, US, type EnvelopeJson } from './testing.ts';

const clock = fakeClock('2026-01-01T00:00:00Z');
let emu: RunningEmulator;
let token: string;
let audience: string;
beforeAll(async () => {
  emu = await startEmulator({ clock });
});
afterAll(() => emu.close());
beforeEach(async () => {
  await adminPost(emu, '/reset');
  token = await connect(emu, [US]);
  audience = await createAudience(emu, token);
});

/** A mapping request adding one user; the raw Response, since faults may answer HTML. */
const send = (i = 0): Promise<Response> =>
  fetch(`${emu.url}/open_api/v1.3/segment/mapping/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Access-Token': token },
    body: JSON.stringify(emailMapping(audience, 1, 'add', `u${i}-`)),
  });
const code = async (res: Response): Promise<number> => ((await res.json()) as EnvelopeJson).code;
const memberCount = async () =>
  ((await adminGet(emu, `/audiences/${audience}/members?members=false`)).json.counts as Record<string, number>).EMAIL_SHA256;
const setFaults = (body: unknown) => adminPost(emu, '/faults', body);

describe('fail_next', () => {
  it('answers the next N mapping requests with a code in an HTTP 200 envelope, then recovers', async () => {
    expect((await setFaults({ fail_next: { count: 2, code: 40100 } })).status).toBe(200);
    const [a, b, c] = [await send(1), await send(2), await send(3)];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await a.json()).toMatchObject({ code: 40100, message: expect.stringContaining('temporarily restricted'), data: {} });
    expect(await code(b)).toBe(40100);
    expect(await code(c)).toBe(0);
    expect(await memberCount()).toBe(1);
    expect((await adminGet(emu, '/stats')).json).toMatchObject({ rate_limited: 2, mapping_requests: 3 });
  });

  it('answers an HTTP status with an nginx HTML page and applies nothing', async () => {
    await setFaults({ fail_next: { count: 1, http_status: 502 } });
    const res = await send();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(
      '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
    );
    expect(await memberCount()).toBe(0);
    expect((await send()).status).toBe(200);
  });

  it('does not affect other routes', async () => {
    await setFaults({ fail_next: { count: 1, code: 50000 } });
    expect((await get(emu, '/user/info/', {}, token)).code).toBe(0);
    expect(await code(await send())).toBe(50000);
  });
});

describe('error_rate, latency_ms, rate_limit_qps', () => {
  it('error_rate 1 fails every mapping request with a transient answer', async () => {
    await setFaults({ error_rate: 1 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    for (const res of answers) {
      if (res.status === 200) expect([50000, 51001, 60001]).toContain(await code(res));
      else expect([res.status, await res.text()]).toEqual([502, expect.stringContaining('502 Bad Gateway')]);
    }
    expect(await memberCount()).toBe(0);
  });

  it('latency_ms delays API answers but not the admin API', async () => {
    await setFaults({ latency_ms: 150 });
    let started = performance.now();
    await get(emu, '/user/info/', {}, token);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    started = performance.now();
    await adminGet(emu, '/stats');
    expect(performance.now() - started).toBeLessThan(140);
  });

  it('rate_limit_qps replaces the mapping limit while set', async () => {
    await setFaults({ rate_limit_qps: 3 });
    const codes = await Promise.all(Array.from({ length: 5 }, async (_, i) => code(await send(i))));
    expect(codes.sort()).toEqual([0, 0, 0, 40100, 40100]);
  });

  it('{} clears every fault', async () => {
    await setFaults({ fail_next: { count: 5, code: 60001 }, error_rate: 1, latency_ms: 50, rate_limit_qps: 1 });
    expect((await adminGet(emu, '/faults')).json).toMatchObject({ error_rate: 1, latency_ms: 50 });
    expect((await setFaults({})).json).toEqual({});
    const codes = await Promise.all(Array.from({ length: 3 }, async (_, i) => code(await send(i))));
    expect(codes).toEqual([0, 0, 0]);
  });

  it.each([
    [{ error_rate: 2 }],
    [{ error_rate: '0.5' }],
    [{ latency_ms: -1 }],
    [{ rate_limit_qps: 0 }],
    [{ fail_next: { count: 1 } }],
    [{ fail_next: { count: 0, code: 40100 } }],
    [{ fail_next: { count: 1, code: 40100, http_status: 502 } }],
    [{ fail_next: { count: 1, http_status: 200 } }],
    [{ failnext: { count: 1, code: 40100 } }],
    [[]],
  ])('refuses %j with a 400 naming the problem', async (body) => {
    const res = await setFaults(body);
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual(expect.any(String));
  });
});

describe('reset', () => {
  it('forgets tokens, audiences, membership, stats and faults, but keeps the app and advertisers', async () => {
    await send();
    await setFaults({ latency_ms: 50 });
    const res = await adminPost(emu, '/reset');
    expect(res.status).toBe(200);
    expect((await adminGet(emu, '/stats')).json).toEqual({
      mapping_requests: 0,
      mapping_rows: 0,
      max_rows_in_request: 0,
      max_mapping_requests_in_any_second: 0,
      rate_limited: 0,
      requests_by_path: { '/_emulator/stats/': 1 }, // every request counts, this one included
    });
    expect((await get(emu, '/user/info/', {}, token)).code).toBe(40105);
    expect((await adminGet(emu, `/audiences/${audience}/members`)).status).toBe(404);
    expect((await adminGet(emu, '/faults')).json).toEqual({});
    const fresh = await connect(emu, [US]);
    const list = await get(emu, '/dmp/custom_audience/list/', { advertiser_id: US }, fresh);
    expect(list.data.page_info).toMatchObject({ total_number: 0 });
  });
});
