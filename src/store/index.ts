/**
 * createStore: the composition of the query modules over one connection. Only the composition root
 * (cli/, tests) calls it; engine/, sync/ and api/ receive a `Store` (port.ts).
 */
import type { Kysely } from 'kysely';
import { openDatabase } from './connect.ts';
import type { Dialect } from './migrations.ts';
import type { Queries, Store } from './port.ts';
import { canvasQueries } from './queries/canvases.ts';
import { journeyQueries } from './queries/journeys.ts';
import { profileQueries } from './queries/profiles.ts';
import { userHistoryQueries } from './queries/user-history.ts';
import { workspaceQueries } from './queries/workspaces.ts';
import type { DB } from './schema.ts';

function queries(db: Kysely<DB>, dialect: Dialect): Queries {
  const ctx = { db, dialect };
  return { ...workspaceQueries(ctx), ...profileQueries(ctx), ...journeyQueries(ctx), ...canvasQueries(ctx), ...userHistoryQueries(ctx) };
}

export async function createStore(databaseUrl: string): Promise<Store> {
  const { db, dialect } = await openDatabase(databaseUrl);
  return {
    ...queries(db, dialect),
    dialect,
    transaction: (fn) => db.transaction().execute((trx) => fn(queries(trx, dialect))),
    close: () => db.destroy(),
  };
}

export type * from './port.ts';
export type * from './journey-port.ts';
