import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanEnv, runCohort } from '../support/cli.ts';
import { describeEachStore } from '../support/databases.ts';
import { createTestWorkspace, testApi, type TestApi } from '../support/api.ts';

describeEachStore('cli: cohort members add', ({ store, url }) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi(store());
  });
  afterAll(async () => {
    await api?.close();
  });

  it('adds the member and prints one JSON line with a one-time sign-in link that signs in once', async () => {
    const ws = await createTestWorkspace(store(), Date.now());
    const res = await runCohort(['members', 'add', 'Viewer@Example.com', '--workspace', ws.id, '--role', 'viewer', '--database', url()], cleanEnv({ COHORT_PUBLIC_URL: 'https://cohort.example.com' }));
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { sign_in_link: string; email: string; role: string; created: boolean; workspace_id: string; expires_at: string };
    expect(out).toMatchObject({ workspace_id: ws.id, email: 'viewer@example.com', role: 'viewer', created: true });
    expect(out.sign_in_link).toMatch(/^https:\/\/cohort\.example\.com\/signin\/link#[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(out.expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const token = out.sign_in_link.split('#')[1]!;
    const signIn = () => api.app.inject({ method: 'POST', url: '/api/session/link', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ token }) });
    const first = await signIn();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ member: { email: 'viewer@example.com', role: 'viewer' }, workspace: { id: ws.id } });
    expect((await signIn()).statusCode).toBe(401);
    // Again for the same email: the member is kept (with its role), and a new link is printed.
    const again = await runCohort(['members', 'add', 'viewer@example.com', '--workspace', ws.id, '--role', 'admin', '--database', url()]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, role: 'viewer' });
    expect(JSON.parse(again.stdout).sign_in_link).toMatch(/^http:\/\/127\.0\.0\.1:8080\/signin\/link#/);
  });

  it('refuses an unknown workspace, a bad role or a bad email with an error and nothing on stdout', async () => {
    const ws = await createTestWorkspace(store(), Date.now());
    for (const args of [['a@example.com', '--workspace', 'ws_nope', '--role', 'viewer'], ['a@example.com', '--workspace', ws.id, '--role', 'owner'], ['not-an-email', '--workspace', ws.id, '--role', 'viewer']]) {
      const res = await runCohort(['members', 'add', ...args, '--database', url()]);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).not.toBe('');
    }
    expect(await store().findMembersByEmail('a@example.com')).toEqual([]);
  });
});
