import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/connect.ts';
import type { DB } from '../../src/store/schema.ts';
import { runCohort, type CliResult } from '../support/cli.ts';
import { describeEachStore } from '../support/databases.ts';

const ROWS = 20_000;
const NOW = Date.parse('2026-11-28T12:00:00Z');

/** A 20,000-row CSV: a header, 20,000 data rows (some broken on purpose) and one quoted multi-line cell. */
function csvFile(): { text: string; bad: Map<number, RegExp> } {
  const bad = new Map<number, RegExp>(); // file line → the error expected for it
  const lines = ['external_id,email,phone,country,ads_tracking_enabled,plan,score,zip,note'];
  let physical = 1; // physical lines written so far: a quoted cell may span two
  for (let i = 0; i < ROWS; i++) {
    const line = physical + 1;
    if (i === 10) {
      lines.push(',nobody@example.com,,US,,,,,');
      bad.set(line, /external_id: is required/);
    } else if (i === 500) {
      lines.push(`c${i},c${i}@example.com,,USA,,,,,`);
      bad.set(line, /country: must be an ISO 3166 alpha-2 code/);
    } else if (i === 7_777) {
      lines.push(`c${i},too,few`);
      bad.set(line, /expected 9 cells, found 3/);
    } else if (i === 19_998) {
      lines.push(`c${i},,,,maybe,,,,`);
      bad.set(line, /ads_tracking_enabled: must be true, false or null/);
    } else if (i === 3) {
      lines.push(`c${i},c${i}@example.com,,us,1,gold,3,01234,"line one\nline ""two"", with comma"`);
    } else {
      lines.push(`c${i},c${i}@example.com,+1555${String(i).padStart(7, '0')},${i % 2 ? 'US' : 'fr'},${i % 3 ? 'true' : 'false'},${i % 5 ? 'gold' : 'silver'},${i},${10_000 + i},`);
    }
    physical += lines.at(-1)!.split('\n').length;
  }
  return { text: `${lines.join('\r\n')}\r\n`, bad };
}

/** 20,000 JSON lines (one blank line, some broken on purpose), shaped like /users/track attributes. */
function jsonlFile(): { text: string; bad: Map<number, RegExp> } {
  const bad = new Map<number, RegExp>();
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const line = lines.length + 1;
    if (i === 0) {
      lines.push('{"external_id": "j0", "email": "j0@example.com", "vip": true, "tags": ["a"], "nested": {"n": 1}}');
    } else if (i === 42) {
      lines.push('{"external_id": "j42", "email": ');
      bad.set(line, /not valid JSON/);
    } else if (i === 43) {
      lines.push('[1, 2, 3]');
      bad.set(line, /must be a JSON object/);
    } else if (i === 4_000) {
      lines.push(JSON.stringify({ external_id: `j${i}`, country: 'Deutschland' }));
      bad.set(line, /country/);
    } else if (i === 12_345) {
      lines.push('');
    } else {
      lines.push(JSON.stringify({ external_id: `j${i}`, email: `j${i}@example.com`, country: 'gb', score: i }));
    }
  }
  return { text: `${lines.join('\n')}\n`, bad };
}

describeEachStore('cli: cohort import', ({ store, url }) => {
  let dir: string;
  let db: Kysely<DB>;
  const workspace = 'ws_import';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-import-'));
    await store().createWorkspace({ id: workspace, name: 'Import' }, NOW);
    await store().createWorkspace({ id: 'ws_elsewhere', name: 'Elsewhere' }, NOW);
    db = (await openDatabase(url())).db;
  });
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const importFile = (name: string, text: string, ...extra: string[]): Promise<CliResult> => {
    writeFileSync(join(dir, name), text);
    return runCohort(['import', join(dir, name), '--workspace', workspace, '--database', url(), ...extra]);
  };
  const countProfiles = async (ws: string) => Number((await db.selectFrom('profiles').select((eb) => eb.fn.countAll().as('n')).where('workspace_id', '=', ws).executeTakeFirstOrThrow()).n);
  const summaryOf = (res: CliResult) => {
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]!) as { imported: number; errors: number; seconds: number };
  };

  it('imports a 20,000-row CSV, counting and reporting bad rows by line without stopping', async () => {
    const { text, bad } = csvFile();
    const res = await importFile('users.csv', text, '--batch', '3000');
    expect(res.code).toBe(0);
    const summary = summaryOf(res);
    expect(summary).toEqual({ imported: ROWS - bad.size, errors: bad.size, seconds: expect.any(Number) });
    for (const [line, message] of bad) expect(res.stderr).toMatch(new RegExp(`line ${line}: ${message.source}`));
    expect(res.stderr).not.toContain('nobody@example.com'); // errors name fields, never values
    expect(await countProfiles(workspace)).toBe(ROWS - bad.size);
    expect(await countProfiles('ws_elsewhere')).toBe(0);

    const [multi, typed] = await store().getProfilesByExternalIds(workspace, ['c3', 'c4']).then((ps) => ps.sort((a, b) => a.externalId.localeCompare(b.externalId)));
    expect(multi).toMatchObject({ email: 'c3@example.com', phone: null, country: 'US', ads_tracking_enabled: true, custom: { plan: 'gold', score: 3, zip: '01234', note: 'line one\nline "two", with comma' } });
    expect(typed).toMatchObject({ phone: '+15550000004', country: 'FR', ads_tracking_enabled: true, custom: { plan: 'gold', score: 4, zip: 10_004 } });
    expect(typed!.custom).not.toHaveProperty('note'); // an empty cell is absent
    expect(await store().getProfile(workspace, 'c500')).toBeNull();
  });

  it('keeps attributes whose cells are empty when importing over existing profiles', async () => {
    const res = await importFile('update.csv', 'external_id,email,plan,phone\nc5,,platinum,\nc6,new6@example.com,,\n');
    expect(summaryOf(res)).toMatchObject({ imported: 2, errors: 0 });
    expect(await store().getProfile(workspace, 'c5')).toMatchObject({ email: 'c5@example.com', phone: '+15550000005', custom: { plan: 'platinum', score: 5 } });
    expect(await store().getProfile(workspace, 'c6')).toMatchObject({ email: 'new6@example.com', ads_tracking_enabled: false, custom: { plan: 'gold', score: 6 } });
  });

  it('imports 20,000 JSON lines the same way, null removing an attribute', async () => {
    const { text, bad } = jsonlFile();
    const res = await importFile('users.jsonl', text);
    expect(res.code).toBe(0);
    expect(summaryOf(res)).toMatchObject({ imported: ROWS - 1 - bad.size, errors: bad.size });
    for (const [line, message] of bad) expect(res.stderr).toMatch(new RegExp(`line ${line}: ${message.source}`));
    expect(await store().getProfile(workspace, 'j0')).toMatchObject({ email: 'j0@example.com', custom: { vip: true, tags: ['a'], nested: { n: 1 } } });
    expect(await store().getProfile(workspace, 'j7')).toMatchObject({ country: 'GB', custom: { score: 7 } });

    const again = await importFile('removal.jsonl', '{"external_id":"j0","vip":null,"email":null}\n');
    expect(summaryOf(again)).toMatchObject({ imported: 1, errors: 0 });
    expect(await store().getProfile(workspace, 'j0')).toMatchObject({ email: null, custom: { tags: ['a'], nested: { n: 1 } } });
  });

  it('shows the first 10 row errors and counts the rest', async () => {
    const text = Array.from({ length: 15 }, (_, i) => `{"external_id":"e${i}","country":"XYZ"}`).join('\n');
    const res = await importFile('errors.jsonl', text);
    expect(summaryOf(res)).toMatchObject({ imported: 0, errors: 15 });
    expect(res.stderr.match(/^import: line \d+:/gm)).toHaveLength(10);
    expect(res.stderr).toContain('5 more row errors not shown');
  });

  it('fails with exit 1 and one clear line for an unknown workspace, a missing file, a wrong extension or a header without external_id', async () => {
    writeFileSync(join(dir, 'ok.csv'), 'external_id\nx\n');
    const unknown = await runCohort(['import', join(dir, 'ok.csv'), '--workspace', 'ws_nope', '--database', url()]);
    expect([unknown.code, unknown.stdout]).toEqual([1, '']);
    expect(unknown.stderr).toContain('there is no workspace ws_nope');

    const missing = await runCohort(['import', join(dir, 'missing.csv'), '--workspace', workspace, '--database', url()]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('ENOENT')]);

    const wrongType = await importFile('users.txt', 'external_id\nx\n');
    expect([wrongType.code, wrongType.stderr]).toEqual([1, expect.stringContaining('.csv or .jsonl')]);

    const noId = await importFile('noid.csv', 'email\na@example.com\n');
    expect([noId.code, noId.stderr]).toEqual([1, expect.stringContaining('no external_id column')]);
  });
});

it('cohort import --help describes the command', async () => {
  const res = await runCohort(['import', '--help']);
  expect(res.code).toBe(0);
  for (const option of ['--workspace', '--database', '--batch']) expect(res.stdout).toContain(option);
});
