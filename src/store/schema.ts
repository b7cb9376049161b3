/**
 * Row types of Cohort's tables, private to store/ (engine/ and sync/ see only port.ts). Times are
 * epoch-ms integers in both dialects; JSON lives in TEXT columns so both dialects read it alike.
 * Booleans are 0/1 integers for the same reason.
 */
import type { ColumnType, Generated } from 'kysely';

export interface WorkspacesTable {
  id: string;
  name: string;
  default_country: string | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  /** SHA-256 of the key: keys are shown once and stored hashed. */
  key_hash: string;
  /** Migration 0014; defaults to 'API key'. */
  name: Generated<string>;
  created_at: number;
  /** Epoch ms, written at most once a minute per key; null until first used. */
  last_used_at: number | null;
}

export interface MembersTable {
  id: string;
  workspace_id: string;
  /** Lowercased. */
  email: string;
  role: string;
  /** `scrypt$N$r$p$salt$hash`; null until the member sets a password. */
  password_hash: string | null;
  created_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token. */
  id: string;
  member_id: string;
  workspace_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

export interface SignInLinksTable {
  /** SHA-256 of the link's token. */
  token_hash: string;
  member_id: string;
  expires_at: number;
  used_at: number | null;
}

export interface ProfilesTable {
  id: Generated<number>;
  workspace_id: string;
  external_id: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  language: string | null;
  idfa: string | null;
  gaid: string | null;
  ads_tracking_enabled: number | null;
  /** JSON object of custom attributes. */
  custom: string;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  workspace_id: string;
  external_id: string;
  name: string;
  time: number;
  /** JSON object. */
  properties: string;
  received_at: number;
}

export interface CanvasesTable {
  id: string;
  workspace_id: string;
  name: string;
  status: string;
  /** The latest version; entries keep the version they entered with. */
  version: number;
  created_at: number;
  updated_at: number;
  launched_at: number | null;
  /** The latest version's `entry.type`, `entry.event` and `exit.events` (JSON array): migration 0002. */
  entry_type: string;
  entry_event: string | null;
  exit_events: string;
}

export interface CanvasVersionsTable {
  canvas_id: string;
  version: number;
  /** The canvas JSON of this version. */
  definition: string;
  created_at: number;
  /** The member's email or "API key <name>"; null for versions saved before migration 0018 (unknown). */
  saved_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface EntriesTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  version: number;
  profile_id: number;
  external_id: string;
  /** The step the user is in; null once exited. */
  step_id: string | null;
  status: string;
  /** When the worker should next run the current step (a durable timer); null when not scheduled. */
  due_at: number | null;
  step_entered_at: number;
  entered_at: number;
  exited_at: number | null;
  exit_requested: number;
  /** JSON of the trigger's `context`, for templates. */
  context: string | null;
  dispatch_id: string | null;
  lease_id: string | null;
  lease_expires_at: number | null;
  claim_count: number;
  /** Why a `failed` entry failed (a snake_case code); null otherwise. Migration 0009. */
  failure_reason: string | null;
}

export interface LaunchJobsTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  version: number;
  run_at: number;
  /** Profiles with id ≤ cursor have been considered; a crash resumes after it. */
  cursor: number;
  /** The last profile id this job covers; null: no bound (migration 0016: a launch split across workers). */
  upto: number | null;
  status: string;
  entered: number;
  lease_id: string | null;
  lease_expires_at: number | null;
}

export interface StepCountsTable {
  workspace_id: string;
  canvas_id: string;
  step_id: string;
  metric: string;
  reason: string;
  minute: number;
  count: number;
}

/** A batch of one step's users in one sender queue (migration 0007): the sender's unit of work. */
export interface SyncBatchesTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  step_id: string;
  /** Null for users settled on entry (not_synced: missing fields): nothing to send. */
  queue_id: number | null;
  advertiser_id: string | null;
  audience_id: string | null;
  action: string;
  /** Every member's outcome, unless the member has its own. */
  outcome: string;
  reason: string | null;
  created_at: number;
  due_at: number | null;
  settled_at: number | null;
  failed_attempts: number;
  /** The last failure's reason while still pending (what the retry window will name). */
  last_error: string | null;
  size: number;
  /** How many members have an outcome of their own (or were moved to a batch that re-sends them). */
  overridden: number;
  /** The intents' order (migration 0010): null means `id`. Kept by splits, re-sends and retries. */
  seq: number | null;
}

/** A batch's members' profile ids and hashes, packed (store/queries/sync-payload.ts); apart from the batch since migration 0008. */
export interface SyncPayloadsTable {
  batch_id: number;
  payload: Uint8Array | string;
}

/** One user in a batch; `outcome` set only when it differs from the batch's (superseded). */
export interface SyncMembersTable {
  batch_id: number;
  position: number;
  profile_id: number;
  entry_id: number;
  outcome: string | null;
  reason: string | null;
  settled_at: number | null;
  /** The identifier fields sent, a bit each (core/sync-fields.ts); null before migration 0019. */
  fields: number | null;
}

export interface SyncQueuesTable {
  id: Generated<number>;
  workspace_id: string;
  advertiser_id: string;
  audience_id: string;
  action: string;
  /** The step's fields in order, comma-separated: every request of the queue uses this id_schema. */
  id_schema: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  step_id: string;
  entry_id: number;
  ok: number;
  http_status: number | null;
  error: string | null;
  attempts: number;
  created_at: number;
}

/** A webhook call not yet delivered (migration 0009): the request as the step rendered it; deleted once the call ends. */
export interface WebhookOutboxTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  /** The entry's canvas version: where the user goes on from the step. */
  version: number;
  step_id: string;
  entry_id: number;
  url: string;
  method: string;
  /** JSON object of header names to values. */
  headers: string;
  body: string | null;
  /** The step's own timeout, if it set one (the sender caps it). */
  timeout_ms: number | null;
  /** Attempts made and failed so far (transient failures only). */
  attempts: number;
  last_error: string | null;
  due_at: number;
  lease_id: string | null;
  lease_expires_at: number | null;
  claim_count: number;
  created_at: number;
}

/** One row per workspace: its TikTok link (migration 0004; queries/tiktok-connections.ts). */
export interface TiktokConnectionsTable {
  workspace_id: string;
  /** The TikTok app the token was issued to: a token of another app (emulator ↔ real) is not used. */
  app_id: string;
  /** `connected`, `invalid_token` or `disconnected`. */
  status: string;
  /** `v2:<iv>:<tag>:<ciphertext>`, bound to the workspace (or `v1:` from before issue 16; sync/token-cipher.ts); null once disconnected. Never the plain token. */
  encrypted_token: string | null;
  status_reason: string | null;
  connected_at: number | null;
  updated_at: number;
}

export interface TiktokAdvertisersTable {
  workspace_id: string;
  advertiser_id: string;
  advertiser_name: string;
  /** 0/1: picked by the admin for this workspace's steps. */
  selected: number;
}

export interface OauthStatesTable {
  /** SHA-256 (hex) of the state: the state itself is a bearer secret and is never stored. */
  state_hash: string;
  workspace_id: string;
  expires_at: number;
  used_at: number | null;
  /** `session` (a dashboard browser: the callback must present the cookie) or `api_key` (a script: the state suffices). */
  started_by: string;
  /** SHA-256 (hex) of the nonce in the cookie `connect` set; null for states from before migration 0012. */
  browser_hash: string | null;
}

/** A (canvas, user)'s last entry time once retention pruned its entries (migration 0015; re-entry rules read it). */
export interface EntryMarksTable {
  canvas_id: string;
  profile_id: number;
  last_entered_at: number;
}

export interface DB {
  tiktok_connections: TiktokConnectionsTable;
  tiktok_advertisers: TiktokAdvertisersTable;
  oauth_states: OauthStatesTable;
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  members: MembersTable;
  sessions: SessionsTable;
  sign_in_links: SignInLinksTable;
  profiles: ProfilesTable;
  events: EventsTable;
  canvases: CanvasesTable;
  canvas_versions: CanvasVersionsTable;
  entries: EntriesTable;
  entry_marks: EntryMarksTable;
  launch_jobs: LaunchJobsTable;
  step_counts: StepCountsTable;
  sync_batches: SyncBatchesTable;
  sync_payloads: SyncPayloadsTable;
  sync_members: SyncMembersTable;
  sync_queues: SyncQueuesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_outbox: WebhookOutboxTable;
}
