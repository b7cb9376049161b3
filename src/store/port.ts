/**
 * The store as engine/, sync/ and api/ see it: domain-shaped, batch-first methods grouped by concern,
 * and explicit transactions. Tables stay private to store/. Every method is scoped by workspace.
 * Guarantees are stated per method: "set-based" means a bounded number of statements per call,
 * whatever the number of rows.
 */
import type { Dialect } from './migrations.ts';

export type { Dialect };
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Workspace {
  id: string;
  name: string;
  defaultCountry: string | null;
  createdAt: number;
}

export interface WorkspaceQueries {
  createWorkspace(w: { id: string; name: string; defaultCountry?: string | null }, now: number): Promise<Workspace>;
  getWorkspace(id: string): Promise<Workspace | null>;
  /** Stores only the key's hash. */
  insertApiKey(k: { id: string; workspaceId: string; keyHash: string }, now: number): Promise<void>;
  /** The workspace a key (by hash) belongs to, or null. */
  findWorkspaceIdByKeyHash(keyHash: string): Promise<string | null>;
}

/** The standard profile attributes (spec §1), stored as columns. */
export const STANDARD_ATTRIBUTES = ['email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled'] as const;
export type StandardAttribute = (typeof STANDARD_ATTRIBUTES)[number];

export interface Profile {
  id: number;
  workspaceId: string;
  externalId: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  language: string | null;
  idfa: string | null;
  gaid: string | null;
  ads_tracking_enabled: boolean | null;
  custom: Record<string, Json>;
  createdAt: number;
  updatedAt: number;
}

/** One object of `/users/track` `attributes`: a value sets, `null` removes, an absent key keeps. */
export interface ProfilePatch {
  externalId: string;
  standard: Partial<{ [K in StandardAttribute]: K extends 'ads_tracking_enabled' ? boolean | null : string | null }>;
  custom: Record<string, Json>;
}

export interface NewEvent {
  externalId: string;
  name: string;
  time: number;
  properties: Record<string, Json>;
}

export interface ProfileQueries {
  /** Set-based upsert of many profiles (a few statements per 1,000); later patches for one id win. Needs a transaction. */
  upsertProfiles(workspaceId: string, patches: readonly ProfilePatch[], now: number): Promise<Profile[]>;
  getProfile(workspaceId: string, externalId: string): Promise<Profile | null>;
  /** Set-based. Missing external ids are simply absent from the answer. */
  getProfilesByExternalIds(workspaceId: string, externalIds: readonly string[]): Promise<Profile[]>;
  /** Set-based. Missing ids are absent from the answer. */
  getProfilesByIds(workspaceId: string, ids: readonly number[]): Promise<Profile[]>;
  /** Profiles with id > afterId in id order: the cursor for scheduled launches and exports. */
  listProfilesAfter(workspaceId: string, afterId: number, limit: number): Promise<Profile[]>;
  /** Set-based. Events of unknown users are stored too (the profile is created by the caller first). */
  insertEvents(workspaceId: string, events: readonly NewEvent[], now: number): Promise<void>;
}

export interface Queries extends WorkspaceQueries, ProfileQueries {}

export interface Store extends Queries {
  readonly dialect: Dialect;
  /** Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE; Postgres: READ COMMITTED) and commits if it resolves. */
  transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
