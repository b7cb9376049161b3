import type { Kysely } from 'kysely';
import type { Dialect } from '../migrations.ts';
import type { DB } from '../schema.ts';

/** What every query module receives: a connection or a transaction, and the dialect for the few switches. */
export interface QueryContext {
  db: Kysely<DB>;
  dialect: Dialect;
}

/**
 * Rows per multi-row statement. SQLite allows 32,766 bound parameters and Postgres 65,535; 500 rows
 * of up to ~25 columns stays under both.
 */
export const ROWS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const parseJsonObject = <T = Record<string, unknown>>(text: string | null): T => (text ? (JSON.parse(text) as T) : ({} as T));
