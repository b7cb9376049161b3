import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCanvas, type StepDefinition, type StepType } from '../../core/canvas.ts';
import { hexOf } from '../../core/digest-rows.ts';
import type { Entry } from '../../store/journey-port.ts';
import type { Profile } from '../../store/port.ts';
import { sha256Hex } from '../../partners/tiktok/identifiers.ts';
import { NO_ALLOWANCES, parseAllowList, type AllowList } from '../../webhooks/address-policy.ts';
import { guardedHttp } from '../../webhooks/guarded-http.ts';
import { stepRegistry, type StepContext, type StepHandler, type StepIO } from './index.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const profile = (over: Partial<Profile> = {}): Profile => ({
  id: 1, workspaceId: 'ws', externalId: 'u1', email: null, phone: null, first_name: null, last_name: null, country: null,
  language: null, idfa: null, gaid: null, ads_tracking_enabled: null, custom: {}, createdAt: NOW, updatedAt: NOW, ...over,
});
const entry = (over: Partial<Entry> = {}): Entry => ({
  id: 7, workspaceId: 'ws', canvasId: 'cv', version: 1, profileId: 1, externalId: 'u1', stepId: 's', status: 'active', dueAt: NOW,
  stepEnteredAt: NOW, enteredAt: NOW, exitedAt: null, exitRequested: false, context: null, dispatchId: null, ...over,
});
function step(json: unknown): StepDefinition {
  const parsed = parseCanvas({ name: 'x', steps: [json] });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.canvas.steps[0]!;
}
const noIO: StepIO = { http: async () => ({ status: 200 }), pause: async () => undefined };
function run(s: StepDefinition, p: Profile, opts: { now?: number; stepEnteredAt?: number; io?: StepIO; entry?: Entry; defaultCountry?: string } = {}) {
  const ctx = { step: s, profile: p, entry: opts.entry ?? entry(), now: opts.now ?? NOW, stepEnteredAt: opts.stepEnteredAt ?? NOW, defaultCountry: opts.defaultCountry ?? null } as StepContext<StepType>;
  return (stepRegistry[s.type] as StepHandler<StepType>).execute(ctx, opts.io ?? noIO);
}

describe('audience_sync', () => {
  const sync = step({ id: 's', type: 'audience_sync', next: 'n', config: { advertiser_id: 'a', audience_id: 'b', fields: ['email', 'phone', 'gaid'] } });
  it('hashes the selected fields it can use and writes a pending item; the user advances at once', async () => {
    const r = await run(sync, profile({ email: ' Ann@Example.com ', phone: '(415) 555-2671', country: 'US', idfa: 'not-selected' }));
    expect(r).toMatchObject({ kind: 'advance', next: 'n', effects: [{ kind: 'sync_item', outcome: 'pending', reason: null }] });
    const effect = r.kind === 'advance' ? r.effects?.[0] : undefined;
    expect(effect?.kind === 'sync_item' && effect.hashes && hexOf(effect.hashes)).toEqual({ email: sha256Hex('ann@example.com'), phone: sha256Hex('+14155552671') });
  });
  it('is not synced (missing_fields) when no selected field is usable, and still advances', async () => {
    expect(await run(sync, profile({ email: 'not-an-email', idfa: 'abc' }))).toEqual({ kind: 'advance', next: 'n', effects: [{ kind: 'sync_item', outcome: 'not_synced', reason: 'missing_fields', hashes: null }] });
  });
  it('reads a national phone in the workspace default country', async () => {
    const r = await run(sync, profile({ phone: '020 7946 0958' }), { defaultCountry: 'GB' });
    expect(r.kind === 'advance' && r.effects?.[0]?.kind === 'sync_item' && r.effects[0].outcome).toBe('pending');
  });
});

describe('delay', () => {
  const d = step({ id: 'd', type: 'delay', next: 'n', config: { seconds: 3600 } });
  it.each([
    [NOW, { kind: 'wait', until: NOW + 3_600_000 }],
    [NOW + 3_599_999, { kind: 'wait', until: NOW + 3_600_000 }],
    [NOW + 3_600_000, { kind: 'advance', next: 'n' }],
  ])('at %i → %j (counted from arrival at the step)', async (now, expected) => {
    expect(await run(d, profile(), { now, stepEnteredAt: NOW })).toEqual(expected);
  });
});

describe('decision_split', () => {
  const split = step({ id: 'x', type: 'decision_split', yes: 'y', no: null, config: { filter: { any: [{ attribute: 'vip', op: 'eq', value: true }, { attribute: 'country', op: 'in', value: ['FR', 'DE'] }] } } });
  it.each([
    [profile({ custom: { vip: true } }), 'y'],
    [profile({ country: 'DE' }), 'y'],
    [profile({ custom: { vip: false }, country: 'US' }), null],
    [profile(), null],
  ])('%# → %s', async (p, next) => {
    expect(await run(split, p)).toEqual({ kind: 'advance', next });
  });
});

describe('user_update', () => {
  it('returns the attributes to set as an effect', async () => {
    const u = step({ id: 'u', type: 'user_update', next: null, config: { set: { retargeted: true, email: null } } });
    expect(await run(u, profile())).toEqual({ kind: 'advance', next: null, effects: [{ kind: 'profile_update', set: { retargeted: true, email: null } }] });
  });
});

describe('webhook over real HTTP', () => {
  let server: Server;
  let url = '';
  const seen: { method: string; path: string; body: string; headers: Record<string, unknown> }[] = [];
  let failuresLeft = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', path: req.url ?? '', body, headers: req.headers });
        if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 500);
        if (failuresLeft > 0) {
          failuresLeft--;
          res.statusCode = 503;
          return void res.end('busy');
        }
        res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  // The receiver is on 127.0.0.1, which spec §9 closes: these tests open it as an operator would.
  const opened = parseAllowList('127.0.0.1/32') as { allow: AllowList };
  const guarded = guardedHttp({ allow: opened.allow });
  const closed = guardedHttp({ allow: NO_ALLOWANCES });
  afterAll(async () => {
    await Promise.all([guarded.close(), closed.close()]);
    await new Promise<void>((r) => server.close(() => r()));
  });
  const io: StepIO = { http: guarded.http, pause: async () => undefined };

  it('renders {{external_id}}, {{attribute}} and {{context.key}} into the URL and body', async () => {
    const hook = step({ id: 'h', type: 'webhook', next: 'n', config: { url: `${url}/hook/{{external_id}}`, method: 'POST', body: { user: '{{external_id}}', name: '{{first_name}}', plan: '{{plan}}', offer: '{{context.offer}}', none: '{{nope}}' } } });
    const r = await run(hook, profile({ first_name: 'Ann', custom: { plan: 'gold' } }), { io, entry: entry({ context: { offer: 'SPRING' } }) });
    expect(r).toEqual({ kind: 'advance', next: 'n', effects: [{ kind: 'webhook_delivery', ok: true, httpStatus: 200, error: null, attempts: 1 }] });
    const last = seen.at(-1)!;
    expect(last.path).toBe('/hook/u1');
    expect(JSON.parse(last.body)).toEqual({ user: 'u1', name: 'Ann', plan: 'gold', offer: 'SPRING', none: '' });
  });

  it('retries a 503 and records the success; a 404 is not retried; the user proceeds either way', async () => {
    failuresLeft = 2;
    const ok = await run(step({ id: 'h', type: 'webhook', next: 'n', config: { url: `${url}/flaky` } }), profile(), { io });
    expect(ok).toMatchObject({ effects: [{ ok: true, httpStatus: 200, attempts: 3 }] });
    const missing = await run(step({ id: 'h', type: 'webhook', next: 'n', config: { url: `${url}/missing` } }), profile(), { io });
    expect(missing).toMatchObject({ kind: 'advance', next: 'n', effects: [{ ok: false, httpStatus: 404, error: 'HTTP 404', attempts: 1 }] });
  });

  it('times out, retries, and records the failure', async () => {
    const slow = step({ id: 'h', type: 'webhook', next: 'n', config: { url: `${url}/slow`, timeout_ms: 100 } });
    expect(await run(slow, profile(), { io })).toMatchObject({ kind: 'advance', next: 'n', effects: [{ ok: false, httpStatus: null, error: 'timed out after 100 ms', attempts: 3 }] });
  });

  it('records a refused connection as a network error', async () => {
    const dead = step({ id: 'h', type: 'webhook', next: null, config: { url: 'http://127.0.0.1:9/x' } });
    expect(await run(dead, profile(), { io })).toMatchObject({ effects: [{ ok: false, error: 'network error', attempts: 3 }] });
  });

  it('records a target spec §9 closes as webhook_blocked after one attempt, sends nothing, and the user proceeds', async () => {
    const before = seen.length;
    let pauses = 0;
    const guardedIO: StepIO = { http: closed.http, pause: async () => void pauses++ };
    const hook = step({ id: 'h', type: 'webhook', next: 'n', config: { url: `${url}/hook`, method: 'POST', body: { a: 1 } } });
    expect(await run(hook, profile(), { io: guardedIO })).toEqual({ kind: 'advance', next: 'n', effects: [{ kind: 'webhook_delivery', ok: false, httpStatus: null, error: 'webhook_blocked', attempts: 1 }] });
    expect(pauses).toBe(0);
    expect(seen.length).toBe(before);
  });
});
