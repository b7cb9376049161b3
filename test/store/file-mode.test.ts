/**
 * The SQLite file and its WAL and shared-memory files are readable by their owner only (spec §9; issue
 * 16 finding 8), under the usual umask 022 that would otherwise make them 0644, and an existing file
 * readable by others is narrowed with a warning.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { sqliteFiles } from '../../src/store/file-mode.ts';
import { createTestWorkspace } from '../support/api.ts';

const modeOf = (path: string): string => `0${(statSync(path).mode & 0o777).toString(8)}`;

// Windows has no POSIX modes; Cohort's machines are Linux.
describe.skipIf(process.platform === 'win32')('store: SQLite file modes', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cohort-mode-'));
    umask = process.umask(0o022); // what most shells give: 0644 files, 0755 folders
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });
  const stores: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('creates the database, its WAL and its shared-memory file 0600, and a missing folder 0700', async () => {
    const path = join(root, 'fresh', 'data', 'cohort.db');
    const store = await createStore(path);
    stores.push(store);
    await createTestWorkspace(store, Date.now()); // a write, so the WAL has frames
    for (const file of sqliteFiles(path)) expect([file, modeOf(file)]).toEqual([file, '0600']);
    expect(modeOf(join(root, 'fresh', 'data'))).toBe('0700');
    expect(modeOf(join(root, 'fresh'))).toBe('0700');
  });

  it('narrows an existing database readable by others to 0600, with a warning naming the file and its mode', async () => {
    const path = join(root, 'old.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('create table t (x integer)');
    old.close();
    chmodSync(path, 0o644);
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const store = await createStore(path, { warn: (message, fields) => warnings.push({ message, fields }) });
    stores.push(store);
    await createTestWorkspace(store, Date.now());
    for (const file of sqliteFiles(path)) expect([file, modeOf(file)]).toEqual([file, '0600']);
    expect(warnings).toEqual([{ message: expect.stringMatching(/readable by other users; its mode is now 0600/), fields: { path, mode: '0644' } }]);
  });

  it('leaves a private database alone, without a warning', async () => {
    const path = join(root, 'private.db');
    stores.push(await createStore(path));
    await stores.pop()!.close();
    const warnings: unknown[] = [];
    stores.push(await createStore(path, { warn: (m) => warnings.push(m) }));
    expect(modeOf(path)).toBe('0600');
    expect(warnings).toEqual([]);
  });
});
