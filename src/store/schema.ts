/**
 * Row types of Cohort's tables, private to store/ (engine/ and sync/ see only port.ts). Times are
 * epoch-ms integers in both dialects; JSON lives in TEXT columns so both dialects read it alike.
 * Booleans are 0/1 integers for the same reason.
 */
import type { Generated } from 'kysely';

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
  created_at: number;
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
}

export interface LaunchJobsTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  version: number;
  run_at: number;
  /** Profiles with id ≤ cursor have been considered; a crash resumes after it. */
  cursor: number;
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

export interface SyncItemsTable {
  id: Generated<number>;
  workspace_id: string;
  canvas_id: string;
  step_id: string;
  entry_id: number;
  profile_id: number;
  external_id: string;
  advertiser_id: string | null;
  audience_id: string | null;
  action: string;
  email_sha256: string | null;
  phone_sha256: string | null;
  idfa_sha256: string | null;
  aaid_sha256: string | null;
  outcome: string;
  reason: string | null;
  created_at: number;
  due_at: number | null;
  settled_at: number | null;
  lease_id: string | null;
  lease_expires_at: number | null;
  claim_count: number;
  failed_attempts: number;
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

export interface DB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  profiles: ProfilesTable;
  events: EventsTable;
  canvases: CanvasesTable;
  canvas_versions: CanvasVersionsTable;
  entries: EntriesTable;
  launch_jobs: LaunchJobsTable;
  step_counts: StepCountsTable;
  sync_items: SyncItemsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
