/**
 * Versioned migrations, applied at start (Kysely's Migrator). Frozen once released: a change is a new
 * numbered migration, never an edit. They use `Kysely<any>` and import nothing from the app, so that
 * later code changes cannot alter what an old migration does.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the app's table types (Kysely docs) */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function m0001(dialect: Dialect): Migration {
  // SQLite needs exactly `integer primary key` for a rowid alias; Postgres gets a 64-bit identity.
  const id = (t: any) =>
    dialect === 'sqlite'
      ? t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement())
      : t.addColumn('id', 'bigserial', (c: any) => c.primaryKey());
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('default_country', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await id(db.schema.createTable('profiles'))
        .addColumn('workspace_id', 'text', (c: any) => c.notNull())
        .addColumn('external_id', 'text', (c: any) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('country', 'text')
        .addColumn('language', 'text')
        .addColumn('idfa', 'text')
        .addColumn('gaid', 'text')
        .addColumn('ads_tracking_enabled', 'integer')
        .addColumn('custom', 'text', (c: any) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('updated_at', 'bigint', (c: any) => c.notNull())
        .addUniqueConstraint('profiles_workspace_external_uq', ['workspace_id', 'external_id'])
        .execute();

      await id(db.schema.createTable('events'))
        .addColumn('workspace_id', 'text', (c: any) => c.notNull())
        .addColumn('external_id', 'text', (c: any) => c.notNull())
        .addColumn('name', 'text', (c: any) => c.notNull())
        .addColumn('time', 'bigint', (c: any) => c.notNull())
        .addColumn('properties', 'text', (c: any) => c.notNull().defaultTo('{}'))
        .addColumn('received_at', 'bigint', (c: any) => c.notNull())
        .execute();
      await db.schema.createIndex('events_profile_idx').on('events').columns(['workspace_id', 'external_id', 'time']).execute();

      await db.schema
        .createTable('canvases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('launched_at', 'bigint')
        .execute();
      await db.schema.createIndex('canvases_workspace_idx').on('canvases').columns(['workspace_id', 'status']).execute();
      await db.schema
        .createTable('canvas_versions')
        .addColumn('canvas_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('canvas_versions_pk', ['canvas_id', 'version'])
        .execute();

      await id(db.schema.createTable('entries'))
        .addColumn('workspace_id', 'text', (c: any) => c.notNull())
        .addColumn('canvas_id', 'text', (c: any) => c.notNull())
        .addColumn('version', 'integer', (c: any) => c.notNull())
        .addColumn('profile_id', 'bigint', (c: any) => c.notNull())
        .addColumn('external_id', 'text', (c: any) => c.notNull())
        .addColumn('step_id', 'text')
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('due_at', 'bigint')
        .addColumn('step_entered_at', 'bigint', (c: any) => c.notNull())
        .addColumn('entered_at', 'bigint', (c: any) => c.notNull())
        .addColumn('exited_at', 'bigint')
        .addColumn('exit_requested', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('context', 'text')
        .addColumn('dispatch_id', 'text')
        .addColumn('lease_id', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('claim_count', 'integer', (c: any) => c.notNull().defaultTo(0))
        .execute();
      // The worker's claim query: active entries by due time (engine/worker.ts).
      await db.schema.createIndex('entries_due_idx').on('entries').column('due_at').where(sql.ref('status'), '=', 'active').execute();
      await db.schema.createIndex('entries_canvas_profile_idx').on('entries').columns(['canvas_id', 'profile_id']).execute();
      await db.schema.createIndex('entries_profile_idx').on('entries').columns(['workspace_id', 'external_id']).execute();

      await id(db.schema.createTable('launch_jobs'))
        .addColumn('workspace_id', 'text', (c: any) => c.notNull())
        .addColumn('canvas_id', 'text', (c: any) => c.notNull())
        .addColumn('version', 'integer', (c: any) => c.notNull())
        .addColumn('run_at', 'bigint', (c: any) => c.notNull())
        .addColumn('cursor', 'bigint', (c: any) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('entered', 'bigint', (c: any) => c.notNull().defaultTo(0))
        .addColumn('lease_id', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('launch_jobs_due_idx').on('launch_jobs').column('run_at').where(sql.ref('status'), '=', 'pending').execute();

      await db.schema
        .createTable('step_counts')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('canvas_id', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('step_counts_pk', ['canvas_id', 'step_id', 'metric', 'reason', 'minute'])
        .execute();

      await id(db.schema.createTable('sync_items'))
        .addColumn('workspace_id', 'text', (c: any) => c.notNull())
        .addColumn('canvas_id', 'text', (c: any) => c.notNull())
        .addColumn('step_id', 'text', (c: any) => c.notNull())
        .addColumn('entry_id', 'bigint', (c: any) => c.notNull())
        .addColumn('profile_id', 'bigint', (c: any) => c.notNull())
        .addColumn('external_id', 'text', (c: any) => c.notNull())
        .addColumn('advertiser_id', 'text')
        .addColumn('audience_id', 'text')
        .addColumn('action', 'text', (c: any) => c.notNull())
        .addColumn('email_sha256', 'text')
        .addColumn('phone_sha256', 'text')
        .addColumn('idfa_sha256', 'text')
        .addColumn('aaid_sha256', 'text')
        .addColumn('outcome', 'text', (c: any) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .addColumn('due_at', 'bigint')
        .addColumn('settled_at', 'bigint')
        .addColumn('lease_id', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('claim_count', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('failed_attempts', 'integer', (c: any) => c.notNull().defaultTo(0))
        .execute();
      // The sender's claim query: pending items, oldest first (sync/).
      await db.schema.createIndex('sync_items_pending_idx').on('sync_items').columns(['due_at', 'id']).where(sql.ref('outcome'), '=', 'pending').execute();
      await db.schema.createIndex('sync_items_profile_idx').on('sync_items').columns(['workspace_id', 'external_id']).execute();

      await id(db.schema.createTable('webhook_deliveries'))
        .addColumn('workspace_id', 'text', (c: any) => c.notNull())
        .addColumn('canvas_id', 'text', (c: any) => c.notNull())
        .addColumn('step_id', 'text', (c: any) => c.notNull())
        .addColumn('entry_id', 'bigint', (c: any) => c.notNull())
        .addColumn('ok', 'integer', (c: any) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('attempts', 'integer', (c: any) => c.notNull())
        .addColumn('created_at', 'bigint', (c: any) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_canvas_idx').on('webhook_deliveries').columns(['canvas_id', 'step_id']).execute();
    },
  };
}

/**
 * The latest version's entry rule and exit events as columns, so that `/users/track` finds the canvases
 * an event enters in one indexed statement (store/queries/canvases.ts keeps them in step with the
 * definition). Existing rows are backfilled from their definitions.
 */
const m0002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('canvases').addColumn('entry_type', 'text', (c) => c.notNull().defaultTo('api')).execute();
    await db.schema.alterTable('canvases').addColumn('entry_event', 'text').execute();
    await db.schema.alterTable('canvases').addColumn('exit_events', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.createIndex('canvases_entry_idx').on('canvases').columns(['workspace_id', 'status', 'entry_type']).execute();
    const rows = await db
      .selectFrom('canvases as c')
      .innerJoin('canvas_versions as v', (j) => j.onRef('v.canvas_id', '=', 'c.id').onRef('v.version', '=', 'c.version'))
      .select(['c.id', 'v.definition'])
      .execute();
    for (const row of rows as { id: string; definition: string }[]) {
      const d = JSON.parse(row.definition) as { entry?: { type?: string; event?: string }; exit?: { events?: string[] } };
      const entryType = d.entry?.type ?? 'api';
      await db
        .updateTable('canvases')
        .set({ entry_type: entryType, entry_event: entryType === 'event' ? (d.entry?.event ?? null) : null, exit_events: JSON.stringify(d.exit?.events ?? []) })
        .where('id', '=', row.id)
        .execute();
    }
  },
};

/** One active entry per user and canvas, enforced by the database so that concurrent triggers and workers cannot double-enter (engine/enter.ts). */
const m0003: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('entries_active_uq').on('entries').columns(['canvas_id', 'profile_id']).unique().where(sql.ref('status'), '=', 'active').execute();
  },
};

/**
 * A workspace's TikTok connection (queries/tiktok-connections.ts): the encrypted token and its status,
 * the ad accounts it was granted (and which the admin picked), and single-use OAuth states, stored as
 * SHA-256 hashes. `oauth_states_expiry_idx` serves the prune of expired states.
 */
const m0004: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('tiktok_connections')
      .addColumn('workspace_id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('encrypted_token', 'text')
      .addColumn('status_reason', 'text')
      .addColumn('connected_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tiktok_advertisers')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('advertiser_id', 'text', (c) => c.notNull())
      .addColumn('advertiser_name', 'text', (c) => c.notNull())
      .addColumn('selected', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('tiktok_advertisers_pk', ['workspace_id', 'advertiser_id'])
      .execute();
    await db.schema
      .createTable('oauth_states')
      .addColumn('state_hash', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('oauth_states_expiry_idx').on('oauth_states').column('expires_at').execute();
  },
};

/**
 * The sender's queues: one row per (workspace, advertiser, audience, action, id_schema) group, so the
 * sender finds work by reading a few queue rows instead of grouping every pending item (sync/sender.ts).
 */
function m0005(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      const t = db.schema.createTable('sync_queues');
      await (dialect === 'sqlite' ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()) : t.addColumn('id', 'bigserial', (c) => c.primaryKey()))
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('advertiser_id', 'text', (c) => c.notNull())
        .addColumn('audience_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('id_schema', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('sync_queues_key_uq', ['workspace_id', 'advertiser_id', 'audience_id', 'action', 'id_schema'])
        .execute();
      await db.schema.alterTable('sync_items').addColumn('queue_id', 'bigint').execute();
      await db.schema.alterTable('sync_items').addColumn('last_error', 'text').execute();
      // The sender's claim: a queue's pending items, oldest first.
      await db.schema.createIndex('sync_items_queue_idx').on('sync_items').columns(['queue_id', 'due_at', 'id']).where(sql.ref('outcome'), '=', 'pending').execute();
      // Collapsing add/remove: a user's pending items for one audience.
      await db.schema.createIndex('sync_items_audience_profile_idx').on('sync_items').columns(['audience_id', 'profile_id']).where(sql.ref('outcome'), '=', 'pending').execute();
      // The retry window: pending items by age.
      await db.schema.createIndex('sync_items_pending_age_idx').on('sync_items').columns(['created_at']).where(sql.ref('outcome'), '=', 'pending').execute();
    },
  };
}

/**
 * Fewer, integer-keyed indexes on the two tables a launch writes per user (bench, 1M users: index
 * upkeep was most of the INSERT and settle cost). Lookups by user go through profile_id:
 * `entries_profile_canvas_idx` serves a user's history and the re-entry check (profile_id with
 * canvas_id), `sync_items_profile_id_idx` a user's items and the add/remove collapse. Dropped:
 * the (workspace_id, external_id) text indexes, the (canvas_id, profile_id) index, and two
 * pending-item indexes the queue index (migration 0005) made redundant.
 */
const m0006: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('entries_profile_canvas_idx').on('entries').columns(['profile_id', 'canvas_id']).execute();
    await db.schema.dropIndex('entries_canvas_profile_idx').execute();
    await db.schema.dropIndex('entries_profile_idx').execute();
    await db.schema.createIndex('sync_items_profile_id_idx').on('sync_items').column('profile_id').execute();
    await db.schema.dropIndex('sync_items_profile_idx').execute();
    await db.schema.dropIndex('sync_items_pending_idx').execute();
    await db.schema.dropIndex('sync_items_audience_profile_idx').execute();
  },
};

/**
 * The sender's unit of work becomes the batch (issue 5): one `sync_batches` row per step and queue per
 * write, holding its users' hashed identifiers packed, and one narrow `sync_members` row per user for
 * the user's history, the add/remove collapse and latencies. A batch's outcome is every member's unless
 * the member has its own (superseded users). Settling 10,000 users is one row, not 10,000 (standalone,
 * 1M users: SQLite writes, reads and settles 10.1 → 2.9 s). Existing items become batches of one, their
 * payload in JSON (store/queries/sync-payload.ts reads both that and the packed form).
 */
function m0007(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      const t = db.schema.createTable('sync_batches');
      await (dialect === 'sqlite' ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()) : t.addColumn('id', 'bigserial', (c) => c.primaryKey()))
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('canvas_id', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('queue_id', 'bigint')
        .addColumn('advertiser_id', 'text')
        .addColumn('audience_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('due_at', 'bigint')
        .addColumn('settled_at', 'bigint')
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('size', 'integer', (c) => c.notNull())
        // Members with an outcome of their own (not the batch's): they are not sent and not counted with it.
        .addColumn('overridden', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('payload', dialect === 'sqlite' ? 'blob' : 'bytea', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sync_batches_queue_idx').on('sync_batches').columns(['queue_id', 'due_at', 'id']).where(sql.ref('outcome'), '=', 'pending').execute();
      await db.schema.createIndex('sync_batches_pending_age_idx').on('sync_batches').columns(['created_at']).where(sql.ref('outcome'), '=', 'pending').execute();
      await db.schema.createIndex('sync_batches_step_idx').on('sync_batches').columns(['canvas_id', 'step_id']).execute();

      const m = db.schema
        .createTable('sync_members')
        .addColumn('batch_id', 'bigint', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('profile_id', 'bigint', (c) => c.notNull())
        .addColumn('entry_id', 'bigint', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('reason', 'text')
        .addColumn('settled_at', 'bigint')
        .addPrimaryKeyConstraint('sync_members_pk', ['batch_id', 'position']);
      // SQLite: the primary key is the table (no rowid and no second copy of the key).
      await (dialect === 'sqlite' ? m.modifyEnd(sql`without rowid`) : m).execute();
      await db.schema.createIndex('sync_members_profile_idx').on('sync_members').column('profile_id').execute();

      const payload =
        dialect === 'sqlite'
          ? sql`cast(json_object('profiles', json_array(profile_id), 'email', json_array(email_sha256), 'phone', json_array(phone_sha256), 'idfa', json_array(idfa_sha256), 'gaid', json_array(aaid_sha256)) as blob)`
          : sql`convert_to(json_build_object('profiles', json_build_array(profile_id), 'email', json_build_array(email_sha256), 'phone', json_build_array(phone_sha256), 'idfa', json_build_array(idfa_sha256), 'gaid', json_build_array(aaid_sha256))::text, 'UTF8')`;
      await sql`insert into sync_batches (id, workspace_id, canvas_id, step_id, queue_id, advertiser_id, audience_id, action, outcome, reason, created_at, due_at, settled_at, failed_attempts, last_error, size, overridden, payload)
        select id, workspace_id, canvas_id, step_id, queue_id, advertiser_id, audience_id, action, outcome, reason, created_at, due_at, settled_at, failed_attempts, last_error, 1, 0, ${payload} from sync_items`.execute(db);
      await sql`insert into sync_members (batch_id, position, profile_id, entry_id) select id, 0, profile_id, entry_id from sync_items`.execute(db);
      if (dialect === 'postgres') await sql`select setval(pg_get_serial_sequence('sync_batches', 'id'), coalesce(max(id), 0) + 1, false) from sync_batches`.execute(db);
      await db.schema.dropTable('sync_items').execute();
    },
  };
}

/**
 * Payloads in a table of their own (issue 5). A settle or a retry changes a few columns of its batch,
 * and SQLite writes a row again whole when its size changes: with the payload inline, ~1 MB read and
 * written per settle (bench, 1M users: ~115 MB more WAL, and its checkpoint). A payload is now
 * written once and read once per send.
 */
function m0008(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('sync_payloads')
        // SQLite: an integer primary key is the rowid (no second index).
        .addColumn('batch_id', dialect === 'sqlite' ? 'integer' : 'bigint', (c) => c.primaryKey())
        .addColumn('payload', dialect === 'sqlite' ? 'blob' : 'bytea', (c) => c.notNull())
        .execute();
      await sql`insert into sync_payloads (batch_id, payload) select id, payload from sync_batches`.execute(db);
      await db.schema.alterTable('sync_batches').dropColumn('payload').execute();
    },
  };
}

/**
 * Issue 16. Webhooks leave the entry batch: a webhook step writes its rendered request to
 * `webhook_outbox` in the transaction that parks the user, and the webhook sender delivers it under
 * a lease (engine/webhook-sender.ts) and deletes it when the call ends. And an entry that cannot go
 * on fails alone: status `failed` with `failure_reason`.
 */
function m0009(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('entries').addColumn('failure_reason', 'text').execute();
      const t = db.schema.createTable('webhook_outbox');
      await (dialect === 'sqlite' ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()) : t.addColumn('id', 'bigserial', (c) => c.primaryKey()))
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('canvas_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('entry_id', 'bigint', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('body', 'text')
        .addColumn('timeout_ms', 'integer')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_id', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('claim_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // The sender's claim: calls by due time (every row is undelivered: a delivered call is deleted).
      await db.schema.createIndex('webhook_outbox_due_idx').on('webhook_outbox').columns(['due_at', 'id']).execute();
    },
  };
}

/**
 * The order in which users' sync intents entered (issue 16, finding 5): for one user and one audience
 * the most recent intent wins, so the sender compares intents by this number. Null means the batch's
 * own id (what a new batch gets, at no extra write); a split's tail and a re-sent part keep their
 * source's number, and a retry keeps it too (created_at restarts the retry window, so it cannot order).
 */
const m0010: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sync_batches').addColumn('seq', 'bigint').execute();
  },
};

/**
 * `GET /api/canvases` pages newest first (spec §4): a page is the next `limit` canvases of one
 * workspace in (created_at, id) descending order after the cursor's. This index makes that a range
 * read of `limit` rows; canvases_workspace_idx (workspace_id, status) would read and sort all the
 * workspace's canvases for every page. Canvases are written rarely, so the index costs little.
 */
const m0011: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('canvases_list_idx').on('canvases').columns(['workspace_id', 'created_at', 'id']).execute();
  },
};

/**
 * OAuth states bound to the browser that started them (issue 16; spec §9 OAuth): who started the
 * connect (`session`: a dashboard browser, which must present the cookie `connect` set; `api_key`: a
 * script, for which the state alone suffices) and the SHA-256 of that cookie's nonce. States pending at
 * the upgrade were started by API keys, as every connect was then.
 */
const m0012: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('oauth_states').addColumn('started_by', 'text', (c) => c.notNull().defaultTo('api_key')).execute();
    await db.schema.alterTable('oauth_states').addColumn('browser_hash', 'text').execute();
  },
};

/**
 * Members and dashboard sessions (issue 17; spec §8). A member belongs to one workspace (unique email
 * per workspace, lowercased by the caller); a password hash is a self-describing scrypt string, null
 * for a member invited by link who has not set one. A session is stored by the SHA-256 of its cookie
 * token (32 random bytes), with its CSRF token (a random value, not a credential by itself) and its
 * idle and absolute limits. A sign-in link is stored by the SHA-256 of its token and used once.
 */
const m0013: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('members_workspace_email_key', ['workspace_id', 'email'])
      .execute();
    // Sign-in by email looks across workspaces (an email may be a member of several).
    await db.schema.createIndex('members_email_idx').on('members').column('email').execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('member_id', 'text', (c) => c.notNull().references('members.id').onDelete('cascade'))
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_member_idx').on('sessions').column('member_id').execute();
    await db.schema
      .createTable('sign_in_links')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('member_id', 'text', (c) => c.notNull().references('members.id').onDelete('cascade'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
  },
};

/**
 * API keys made on the dashboard (issue 19; spec §8 "API keys"): a name people choose, and when a
 * request last authenticated with the key (epoch ms; written at most once a minute per key, so ingest
 * does not write per request). Keys made before keep working, named 'API key'.
 */
const m0014: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('api_keys').addColumn('name', 'text', (c) => c.notNull().defaultTo('API key')).execute();
    await db.schema.alterTable('api_keys').addColumn('last_used_at', 'bigint').execute();
  },
};

/**
 * Retention (issue 18, engine/retention.ts): when the pruner deletes a user's finished entries into a
 * canvas, the last time they entered it stays here, so a canvas without re-entry (the default) or
 * with a wait still refuses them (engine/enter.ts). One narrow row per (canvas, user) ever pruned;
 * SQLite: the primary key is the table.
 *
 * PostgreSQL: autovacuum starts on a table once 20% of its rows are dead (the default scale factor).
 * The pruner and the settles delete steadily from these tables, and on a table of tens of millions of
 * rows 20% is millions of dead rows: bloat, and a long vacuum when it finally runs. 2% (and 5% for
 * the counters, updated in place) vacuums them in small, frequent passes; sync_payloads' rows live in
 * its TOAST table, which has its own setting.
 */
function m0015(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      const t = db.schema
        .createTable('entry_marks')
        .addColumn('canvas_id', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'bigint', (c) => c.notNull())
        .addColumn('last_entered_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('entry_marks_pk', ['canvas_id', 'profile_id']);
      await (dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t).execute();
      if (dialect !== 'postgres') return;
      for (const table of ['entries', 'sync_batches', 'sync_members', 'sync_payloads', 'sessions', 'sign_in_links', 'oauth_states']) {
        await sql`alter table ${sql.table(table)} set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)`.execute(db);
      }
      await sql`alter table sync_payloads set (toast.autovacuum_vacuum_scale_factor = 0.02)`.execute(db);
      await sql`alter table step_counts set (autovacuum_vacuum_scale_factor = 0.05)`.execute(db);
    },
  };
}

/**
 * Launches split across workers (issue 18): a launch job covers the profiles with cursor < id ≤ upto
 * (null: no upper bound), so a big scheduled launch is several jobs that workers claim side by side.
 * PostgreSQL: profiles by (workspace_id, id), the order a launch reads them in. Without it the
 * planner, given no statistics yet (a launch right after a bulk import; autoanalyze lags or is off),
 * read a chunk by scanning the workspace through the external-id index and sorting it: 570 ms a
 * chunk at 1M profiles. SQLite walks the primary key instead (queries/profiles.ts).
 */
function m0016(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('launch_jobs').addColumn('upto', 'bigint').execute();
      if (dialect === 'postgres') await db.schema.createIndex('profiles_workspace_id_idx').on('profiles').columns(['workspace_id', 'id']).execute();
    },
  };
}

/**
 * Event names suggested in the canvas editor (issue 19; `GET /api/events/names`): an index on
 * (workspace_id, name) lets queries/profiles.ts `listEventNames` hop from one distinct name to the
 * next (a loose index scan: one probe per name), so the answer costs the names shown, not the
 * workspace's events (1M events: a full scan per request otherwise).
 */
const m0017: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('events_name_idx').on('events').columns(['workspace_id', 'name']).execute();
  },
};

/**
 * Who saved each canvas version (issue 19): the member's email, or "API key <name>" for a script.
 * Numbered 0018: the step editors' branch (builder-steps) takes 0017 for its event-names index.
 * Versions saved before this migration have null: unknown.
 */
const m0018: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('canvas_versions').addColumn('saved_by', 'text').execute();
  },
};

/**
 * Which identifier fields were sent for each sync member (issue 19: the user page answers "why wasn't
 * Ana synced?" after the payload holding the hashes is deleted): a bit per field, email 1, phone 2,
 * idfa 4, gaid 8, written by the same set-based insert as the member. Null for earlier members.
 * SQLite stores a value up to 127 in one byte plus one header byte: ~2 bytes a user.
 */
const m0019: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sync_members').addColumn('fields', 'smallint').execute();
  },
};

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    getMigrations: async () => ({
      '0001_initial': m0001(dialect),
      '0002_canvas_entry_columns': m0002,
      '0003_entries_one_active': m0003,
      '0004_tiktok_connections': m0004,
      '0005_sync_queues': m0005(dialect),
      '0006_lean_indexes': m0006,
      '0007_sync_batches': m0007(dialect),
      '0008_sync_payloads': m0008(dialect),
      '0009_webhook_outbox_entry_failures': m0009(dialect),
      '0010_sync_intent_seq': m0010,
      '0011_canvases_list_index': m0011,
      '0012_oauth_state_browser': m0012,
      '0013_members_sessions': m0013,
      '0014_api_key_names_last_used': m0014,
      '0015_retention': m0015(dialect),
      '0016_launch_parts': m0016(dialect),
      '0017_event_names_index': m0017,
      '0018_canvas_version_saved_by': m0018,
      '0019_sync_member_fields': m0019,
    }),
  };
}
