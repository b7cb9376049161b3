/**
 * Plain SQL on a test database, beside the store: to read what no API shows (webhook_deliveries) or
 * to write what the API would refuse (an attacker's canvas definition, as a database holds it).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseKind } from './databases.ts';

/** Runs one statement with `?` placeholders; answers its rows (none for a write). */
export async function rawSql<T = Record<string, unknown>>(kind: DatabaseKind, url: string, text: string, params: readonly unknown[] = []): Promise<T[]> {
  if (kind === 'sqlite') {
    const db = new Database(url);
    try {
      db.pragma('busy_timeout = 5000');
      const stmt = db.prepare(text);
      return stmt.reader ? (stmt.all(...params) as T[]) : (stmt.run(...params), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(text.replace(/\?/g, () => `$${++n}`), [...params])).rows as T[];
  } finally {
    await client.end();
  }
}
