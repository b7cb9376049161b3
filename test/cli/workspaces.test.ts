import { expect, it } from 'vitest';
import { hashApiKey } from '../../src/api/auth.ts';
import { runCohort } from '../support/cli.ts';
import { describeEachStore } from '../support/databases.ts';

describeEachStore('cli: cohort workspaces create', ({ store, url }) => {
  it('prints exactly one JSON line with the workspace id and an API key stored only as its hash', async () => {
    const res = await runCohort(['workspaces', 'create', 'Acme Inc', '--database', url(), '--default-country', 'de']);
    expect(res.code).toBe(0);
    expect(res.stdout.endsWith('\n')).toBe(true);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { workspace_id: string; api_key: string };
    expect(Object.keys(out)).toEqual(['workspace_id', 'api_key']);
    expect(out.workspace_id).toMatch(/^ws_[0-9a-f]{16}$/);
    expect(out.api_key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(await store().getWorkspace(out.workspace_id)).toMatchObject({ name: 'Acme Inc', defaultCountry: 'DE' });
    expect(await store().findApiKeyByHash(hashApiKey(out.api_key))).toMatchObject({ workspaceId: out.workspace_id, lastUsedAt: null });
    expect(await store().findApiKeyByHash(out.api_key)).toBeNull();
    // The dashboard's API keys page lists it by this name.
    expect((await store().listApiKeys(out.workspace_id)).map((k) => k.name)).toEqual(['Created on the command line']);
  });

  it('makes a new id and key every time', async () => {
    const [a, b] = await Promise.all([runCohort(['workspaces', 'create', 'A', '--database', url()]), runCohort(['workspaces', 'create', 'B', '--database', url()])]);
    const [wa, wb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(wa.workspace_id).not.toBe(wb.workspace_id);
    expect(wa.api_key).not.toBe(wb.api_key);
    expect((await store().getWorkspace(wa.workspace_id))?.defaultCountry).toBeNull();
  });

  it('refuses a bad --default-country or an empty name with exit 1 and nothing on stdout', async () => {
    for (const args of [['X', '--default-country', 'USA'], ['']]) {
      const res = await runCohort(['workspaces', 'create', ...args, '--database', url()]);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/invalid/);
    }
  });
});

it('cohort workspaces create --help describes the command', async () => {
  const res = await runCohort(['workspaces', 'create', '--help']);
  expect(res.code).toBe(0);
  expect(res.stdout).toContain('--default-country');
  expect(res.stdout).toContain('--database');
});
