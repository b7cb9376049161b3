import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { MemberService } from '../members/service.ts';
import type { SessionRecord } from '../store/member-port.ts';
import type { ApiKeyAuth } from './auth.ts';
import { installErrorHandler } from './errors.ts';
import { authenticateCaller } from './session-auth.ts';

const session: SessionRecord = {
  id: 'h',
  memberId: 'mb_1',
  workspaceId: 'ws_1',
  csrfToken: 'csrf-token-of-the-session',
  expiresAt: Number.MAX_SAFE_INTEGER,
  createdAt: 0,
  lastSeenAt: 0,
  member: { email: 'a@example.com', role: 'admin' },
  workspace: { id: 'ws_1', name: 'A' },
};
const members = { resolve: async (token: string) => (token === 'good' ? session : null) } as unknown as MemberService;
const apiKeys: ApiKeyAuth = { authenticate: async () => ({ workspaceId: 'ws_key', keyId: 'key_1' }) };

async function app() {
  const a = Fastify();
  installErrorHandler(a);
  await a.register(cookie);
  a.addHook('onRequest', async (req) => {
    req.headers['x-workspace'] = (await authenticateCaller(req, apiKeys, members)).workspaceId;
  });
  a.get('/declared', { config: { role: 'viewer' } }, async (req) => ({ ws: req.headers['x-workspace'] }));
  a.get('/undeclared', async (req) => ({ ws: req.headers['x-workspace'] }));
  a.get('/sessions-only', { config: { role: 'admin', sessionOnly: true } }, async (req) => ({ ws: req.headers['x-workspace'] }));
  return a;
}

describe('api: session authorisation', () => {
  it('a route that declares no role refuses every session (default deny), but not an API key', async () => {
    const a = await app();
    expect((await a.inject({ url: '/declared', cookies: { cohort_session: 'good' } })).json()).toEqual({ ws: 'ws_1' });
    const refused = await a.inject({ url: '/undeclared', cookies: { cohort_session: 'good' } });
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'forbidden']);
    expect((await a.inject({ url: '/undeclared', headers: { authorization: 'Bearer ck_x' } })).json()).toEqual({ ws: 'ws_key' });
  });

  it('an Authorization header decides alone; an unknown cookie is a 401', async () => {
    const a = await app();
    expect((await a.inject({ url: '/declared', cookies: { cohort_session: 'good' }, headers: { authorization: 'Bearer ck_x' } })).json()).toEqual({ ws: 'ws_key' });
    expect((await a.inject({ url: '/declared', cookies: { cohort_session: 'unknown' } })).statusCode).toBe(401);
  });

  it('a route for sessions only refuses an API key with 403, and still takes a session of the role', async () => {
    const a = await app();
    const refused = await a.inject({ url: '/sessions-only', headers: { authorization: 'Bearer ck_x' } });
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'session_required']);
    expect((await a.inject({ url: '/sessions-only', cookies: { cohort_session: 'good' } })).json()).toEqual({ ws: 'ws_1' });
  });
});
