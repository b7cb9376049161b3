import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { MemberService } from '../members/service.ts';
import type { SessionRecord } from '../store/member-port.ts';
import type { Store } from '../store/port.ts';
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
const store = { findWorkspaceIdByKeyHash: async () => 'ws_key' } as unknown as Store;

async function app() {
  const a = Fastify();
  installErrorHandler(a);
  await a.register(cookie);
  a.addHook('onRequest', async (req) => {
    req.headers['x-workspace'] = (await authenticateCaller(req, store, members)).workspaceId;
  });
  a.get('/declared', { config: { role: 'viewer' } }, async (req) => ({ ws: req.headers['x-workspace'] }));
  a.get('/undeclared', async (req) => ({ ws: req.headers['x-workspace'] }));
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
});
