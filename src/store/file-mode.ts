/**
 * The SQLite file holds every profile, email and phone, and the sealed TikTok tokens: it and its WAL and
 * shared-memory files are readable by their owner only (spec §9). SQLite creates a new database with
 * 0644 less the umask, and its -wal and -shm with the database file's own mode (it fchmods them to it),
 * so Cohort creates the database file itself, 0600, before SQLite opens it; the other two follow.
 * `process.umask` is not narrowed around the open instead: it is process-wide, so it would change the
 * mode of files that other threads (the sender's, the hash pool's) create meanwhile, and worker threads
 * cannot set it at all.
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

export type Warn = (message: string, fields: Record<string, unknown>) => void;

/** The files SQLite keeps for the database at `path`. */
export const sqliteFiles = (path: string): string[] => [path, `${path}-wal`, `${path}-shm`];

/**
 * Before SQLite opens `path`: its folder made 0700 if Cohort creates it, the file created 0600 if it is
 * new, and an existing database, WAL or shared-memory file readable by others narrowed to 0600 (told
 * to `warn`: someone may have copied it meanwhile).
 */
export function prepareSqliteFile(path: string, warn?: Warn): void {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR }); // the mode applies to folders it creates, never to existing ones
  try {
    const fd = openSync(path, 'wx', PRIVATE_FILE);
    try {
      fchmodSync(fd, PRIVATE_FILE); // a umask can only narrow it, to a mode SQLite may not be able to write
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process created it first: tightened below
  }
  tightenSqliteFiles(path, warn);
}

/** Narrows each of the database's files that exists and is readable by group or others to 0600. */
export function tightenSqliteFiles(path: string, warn?: Warn): void {
  if (process.platform === 'win32') return; // no POSIX modes to narrow
  for (const file of sqliteFiles(path)) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue; // no such file (a WAL appears with the first write)
    }
    if ((mode & 0o077) === 0) continue;
    const fields = { path: file, mode: `0${mode.toString(8)}` };
    try {
      chmodSync(file, PRIVATE_FILE);
      warn?.('the database file was readable by other users; its mode is now 0600', fields);
    } catch {
      warn?.('the database file is readable by other users and Cohort cannot change that; run chmod 600 on it', fields);
    }
  }
}
