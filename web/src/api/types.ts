/** The JSON the dashboard reads, as the HTTP API answers it (spec §3, §4, §8). */

export type Role = 'admin' | 'editor' | 'viewer';

export interface Session {
  member: { email: string; role: Role };
  workspace: { id: string; name: string };
  csrf_token: string;
}

export interface Connection {
  status: 'connected' | 'invalid_token' | 'disconnected';
  advertisers: { advertiser_id: string; advertiser_name: string; selected: boolean }[];
  status_reason?: string | null;
  emulator?: boolean;
}

export interface Audience {
  audience_id: string;
  name: string;
  type: string;
  size: number;
}

export type Filter = { all: Filter[] } | { any: Filter[] } | { attribute: string; op: string; value?: unknown };

/** A draft's event entry may lack its event name until launch. */
export type Entry = { type: 'api' } | { type: 'event'; event?: string } | { type: 'scheduled'; at: string | null };

export type StepType = 'audience_sync' | 'delay' | 'decision_split' | 'webhook' | 'user_update';

export interface AudienceSyncConfig {
  partner: 'tiktok';
  advertiser_id?: string;
  audience_id?: string;
  action: 'add' | 'remove';
  fields: ('email' | 'phone' | 'idfa' | 'gaid')[];
}

export interface Step {
  id: string;
  type: StepType;
  config: Record<string, unknown>;
  next?: string | null;
  yes?: string | null;
  no?: string | null;
}

export interface CanvasBody {
  name: string;
  entry: Entry;
  audience: Filter | null;
  reentry?: { allowed: boolean; after_seconds: number };
  exit?: { events: string[] };
  first_step: string | null;
  steps: Step[];
}

export type CanvasStatus = 'draft' | 'active' | 'stopped' | 'archived';

export interface Canvas extends CanvasBody {
  id: string;
  status: CanvasStatus;
  version: number;
  created_at?: string;
  updated_at?: string;
}

export interface StepAnalytics {
  id: string;
  type: StepType;
  entered: number;
  proceeded: number;
  exited: number;
  synced?: number;
  not_synced?: number;
  pending?: number;
  errored?: number;
  errors?: ReasonCount[];
  not_synced_reasons?: ReasonCount[];
  /** Entries that failed at the step (any step type; spec §9), with their reasons. */
  failed?: number;
  failures?: ReasonCount[];
}

export interface ReasonCount {
  reason: string;
  count: number;
}

export interface SeriesPoint {
  minute: string;
  step_id: string;
  [count: string]: string | number;
}

export interface Analytics {
  canvas_id: string;
  status: CanvasStatus;
  steps: StepAnalytics[];
  series: SeriesPoint[];
}

export interface Member {
  id: string;
  email: string;
  role: Role;
  has_password: boolean;
  created_at: string;
}

/** POST /api/members: the link is a path on this origin (`/signin/link#<code>`), usable once until `expires_at`. */
export interface Invitation {
  member: Member;
  created: boolean;
  sign_in_path: string;
  expires_at: string;
}

/** GET /api/users/{external_id}: the profile (never an internal id or a hash), its latest 100 entries and sync items, newest first. */
export interface UserProfile {
  external_id: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  language: string | null;
  idfa: string | null;
  gaid: string | null;
  ads_tracking_enabled: boolean | null;
  custom: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface UserEntry {
  canvas_id: string;
  version: number;
  /** Where an active entry is, or where a failed one failed; null once exited. */
  step_id: string | null;
  status: 'active' | 'exited' | 'failed';
  entered_at: string;
  exited_at: string | null;
  failure_reason: string | null;
}

export type SyncOutcome = 'pending' | 'synced' | 'not_synced' | 'errored';

export interface UserSyncItem {
  canvas_id: string;
  step_id: string;
  advertiser_id: string | null;
  audience_id: string | null;
  action: string;
  outcome: SyncOutcome;
  reason: string | null;
  created_at: string;
  settled_at: string | null;
  failed_attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  /** Fields sent (null: not recorded, older items); hashes truncated, only while the payload exists. */
  identifiers: { fields: string[] | null; hashes: Record<string, string> | null };
}

export interface UserHistory {
  profile: UserProfile;
  canvas_entries: UserEntry[];
  sync_items: UserSyncItem[];
}

/** GET /api/api-keys: a key as listed (never the key itself). `last_used_at` is recorded at most once a minute. */
export interface ApiKey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** POST /api/api-keys: the only answer that carries the key. */
export interface NewApiKey extends ApiKey {
  api_key: string;
}
