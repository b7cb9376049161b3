import pg from 'pg';
import { expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { describeEachStore } from '../support/databases.ts';

describeEachStore('store: sender leadership', ({ store, url, kind }) => {
  it(kind === 'postgres' ? 'one process leads per key; the lock moves when its holder dies' : 'SQLite (one process) always leads', async () => {
    const first = await store().tryLead('app-1');
    expect(first).not.toBeNull();
    expect(await first!.stillHeld()).toBe(true);
    if (kind === 'sqlite') return;
    const other = await createStore(url());
    try {
      expect(await other.tryLead('app-1')).toBeNull();
      const differentKey = await other.tryLead('app-2');
      expect(differentKey).not.toBeNull();
      await differentKey!.release();
      await first!.release();
      const second = await other.tryLead('app-1');
      expect(second).not.toBeNull();
      // The holder "dies" (its session ends, as when the process is killed): PostgreSQL frees the lock.
      const third = await createStore(url());
      try {
        expect(await third.tryLead('app-1')).toBeNull();
        const admin = new pg.Client({ connectionString: url() });
        await admin.connect();
        await admin.query(`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and pid <> pg_backend_pid() and database = (select oid from pg_database where datname = current_database())`);
        await admin.end();
        expect(await second!.stillHeld()).toBe(false);
        let taken = null;
        for (let i = 0; i < 20 && !taken; i++) {
          taken = await third.tryLead('app-1');
          if (!taken) await new Promise((r) => setTimeout(r, 100));
        }
        expect(taken).not.toBeNull();
        await taken!.release();
      } finally {
        await third.close();
      }
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
