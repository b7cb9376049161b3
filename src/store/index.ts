/**
 * createStore: the composition of the query modules over one connection. Only the composition root
 * (cli/, tests) calls it; engine/, sync/ and api/ receive a `Store` (port.ts).
 */
import type { Kysely } from 'kysely';
import { openDatabase } from './connect.ts';
import { tryLead, type Leadership } from './locks.ts';
import type { Dialect } from './migrations.ts';
import type { Queries, Store } from './port.ts';
import { canvasQueries } from './queries/canvases.ts';
import { journeyQueries } from './queries/journeys.ts';
import { syncQueries } from './queries/sync.ts';
import { profileQueries } from './queries/profiles.ts';
import { userHistoryQueries } from './queries/user-history.ts';
import { tiktokConnectionQueries } from './queries/tiktok-connections.ts';
import { webhookOutboxQueries } from './queries/webhook-outbox.ts';
import { workspaceQueries } from './queries/workspaces.ts';
import type { DB } from './schema.ts';

function queries(db: Kysely<DB>, dialect: Dialect): Queries {
  const ctx = { db, dialect };
  return { ...workspaceQueries(ctx), ...profileQueries(ctx), ...journeyQueries(ctx), ...syncQueries(ctx), ...canvasQueries(ctx), ...userHistoryQueries(ctx), ...tiktokConnectionQueries(ctx), ...webhookOutboxQueries(ctx) };
}

export async function createStore(databaseUrl: string): Promise<Store> {
  const { db, dialect } = await openDatabase(databaseUrl);
  const leads = new Set<Leadership>();
  return {
    ...queries(db, dialect),
    dialect,
    transaction: (fn) => db.transaction().execute((trx) => fn(queries(trx, dialect))),
    async tryLead(key) {
      const lead = await tryLead(db, dialect, key);
      if (!lead) return null;
      leads.add(lead);
      return { stillHeld: () => lead.stillHeld(), release: () => lead.release().finally(() => leads.delete(lead)) };
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
