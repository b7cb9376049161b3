/**
 * Deployment-wide leadership without another service (issue #4: "one sender per app_id elected with
 * a PostgreSQL advisory lock that moves when its holder dies"). The lock lives on one pooled
 * connection held for as long as the leader leads; if the process dies, PostgreSQL ends the session
 * and frees the lock for the next worker. SQLite runs in one process, so it always leads.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './migrations.ts';
import type { DB } from './schema.ts';

export interface Leadership {
  /** False once the connection holding the lock is gone: the caller must stop leading. */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

export async function tryLead(db: Kysely<DB>, dialect: Dialect, key: string): Promise<Leadership | null> {
  if (dialect === 'sqlite') return { stillHeld: async () => true, release: async () => undefined };
  return new Promise<Leadership | null>((resolve, reject) => {
    let settled = false;
    db.connection()
      .execute(async (conn) => {
        const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${key})) as ok`.execute(conn);
        if (!got.rows[0]?.ok) {
          settled = true;
          resolve(null);
          return;
        }
        let release!: () => void;
        const released = new Promise<void>((r) => (release = r));
        let finished!: () => void;
        const done = new Promise<void>((r) => (finished = r));
        settled = true;
        resolve({
          stillHeld: async () => {
            try {
              const r = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted`.execute(conn);
              return (r.rows[0]?.n ?? 0) > 0;
            } catch {
              return false;
            }
          },
          release: async () => {
            release();
            await done;
          },
        });
        try {
          await released;
          await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(conn);
        } finally {
          finished();
        }
      })
      .catch((error: unknown) => {
        if (!settled) reject(error);
      });
  });
}
