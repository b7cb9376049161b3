/**
 * createStore: the composition of the query modules over one connection. Only the composition root
 * (cli/, tests) calls it; engine/, sync/ and api/ receive a `Store` (port.ts).
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { openDatabase, type OpenOptions } from './connect.ts';
import type { CopyOut } from './pg-copy.ts';
import { tryLead, type Leadership } from './locks.ts';
import { migrationProvider, type Dialect } from './migrations.ts';
import type { Queries, Store } from './port.ts';
import { apiKeyQueries } from './queries/api-keys.ts';
import { attributeQueries } from './queries/attributes.ts';
import { canvasQueries } from './queries/canvases.ts';
import { journeyQueries } from './queries/journeys.ts';
import { memberQueries } from './queries/members.ts';
import { syncQueries } from './queries/sync.ts';
import { syncRequeueQueries } from './queries/sync-requeue.ts';
import { profileQueries } from './queries/profiles.ts';
import { retentionQueries } from './queries/retention.ts';
import { userHistoryQueries } from './queries/user-history.ts';
import { tiktokConnectionQueries } from './queries/tiktok-connections.ts';
import { webhookOutboxQueries } from './queries/webhook-outbox.ts';
import { workspaceQueries } from './queries/workspaces.ts';
import type { DB } from './schema.ts';

function queries(db: Kysely<DB>, dialect: Dialect, copyOut?: CopyOut): Queries {
  const ctx = { db, dialect, ...(copyOut ? { copyOut } : {}) };
  return { ...workspaceQueries(ctx), ...apiKeyQueries(ctx), ...profileQueries(ctx), ...journeyQueries(ctx), ...syncQueries(ctx), ...syncRequeueQueries(ctx), ...canvasQueries(ctx), ...userHistoryQueries(ctx), ...tiktokConnectionQueries(ctx), ...webhookOutboxQueries(ctx), ...memberQueries(ctx), ...retentionQueries(ctx), ...attributeQueries(ctx) };
}

export async function createStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  const { db, dialect, copyOut } = await openDatabase(databaseUrl, options);
  const leads = new Set<Leadership>();
  return {
    // Outside a transaction only: a COPY runs on a connection of its own.
    ...queries(db, dialect, copyOut),
    dialect,
    transaction: (fn) => db.transaction().execute((trx) => fn(queries(trx, dialect))),
    async tryLead(key) {
      const lead = await tryLead(db, dialect, key);
      if (!lead) return null;
      leads.add(lead);
      return { stillHeld: () => lead.stillHeld(), release: () => lead.release().finally(() => leads.delete(lead)) };
    },
    async readiness() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        return { database: `unreachable: ${error instanceof Error ? error.message : String(error)}`, migrations: 'unknown' };
      }
      try {
        // Another process (a newer version) may have migrated further; this code needs its own applied.
        const pending = (await new Migrator({ db, provider: migrationProvider(dialect) }).getMigrations()).filter((m) => m.executedAt === undefined);
        return { database: 'ok', migrations: pending.length === 0 ? 'ok' : `not applied: ${pending.map((m) => m.name).join(', ')}` };
      } catch (error) {
        return { database: 'ok', migrations: `unreadable: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
    // A held leadership keeps a pooled connection checked out; give it back before closing the pool.
    close: async () => {
      await Promise.allSettled([...leads].map((l) => l.release()));
      await db.destroy();
    },
  };
}

export type * from './port.ts';
export type * from './journey-port.ts';
export type * from './sync-port.ts';
export type * from './webhook-port.ts';
export type * from './member-port.ts';
export type * from './retention-port.ts';
export type * from './attribute-port.ts';
