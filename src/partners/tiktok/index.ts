/**
 * TikTok as a declarative partner (the Segment destination-kit shape): the field → id_schema map,
 * the limits, the pinned API version, and pure builders. Transport is client.ts; batching, pacing,
 * retries and connection status belong to sync/.
 */
import type { IdentifierField } from './identifiers.ts';

export const TIKTOK_API_VERSION = 'v1.3';
export const API_PREFIX = `/open_api/${TIKTOK_API_VERSION}`;

export type IdSchema = 'EMAIL_SHA256' | 'PHONE_SHA256' | 'IDFA_SHA256' | 'AAID_SHA256';
export type SyncAction = 'add' | 'remove';

export const tiktokPartner = {
  slug: 'tiktok',
  apiVersion: TIKTOK_API_VERSION,
  // GAID goes as AAID_SHA256: TikTok has no GAID_SHA256 id_schema (reference §3.6).
  schemaOf: { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', idfa: 'IDFA_SHA256', gaid: 'AAID_SHA256' },
  limits: { rowsPerRequest: 10_000, requestsPerSecond: 50, audiencesPerAdvertiser: 400, audienceNameLength: 70 },
} as const satisfies {
  slug: string;
  apiVersion: string;
  schemaOf: Record<IdentifierField, IdSchema>;
  limits: Record<string, number>;
};

export interface MappingCell {
  id: string;
  audience_ids: string[];
}
export interface MappingBody {
  advertiser_ids: string[];
  action: 'add' | 'delete';
  id_schema: IdSchema[];
  batch_data: (MappingCell | Record<string, never>)[][];
}

/** One request's worth of users for one (advertiser, audience, action, fields) group. */
export interface MappingBatch {
  advertiserId: string;
  audienceId: string;
  action: SyncAction;
  /** The id_schema, in order; every row has exactly one slot per field. */
  fields: readonly IdentifierField[];
  items: readonly { hashes: Partial<Record<IdentifierField, string>> }[];
}

/**
 * Pure. Builds id_schema and every row from the one ordered `fields` list, with `{}` where a user lacks
 * a field, so rows can never drift from the schema (the RudderStack bug in the style guide, B).
 */
export function buildMapping(batch: MappingBatch): MappingBody {
  if (batch.items.length === 0 || batch.items.length > tiktokPartner.limits.rowsPerRequest) {
    throw new RangeError(`a mapping request carries 1..${tiktokPartner.limits.rowsPerRequest} users, got ${batch.items.length}`);
  }
  const audienceIds = [batch.audienceId];
  return {
    advertiser_ids: [batch.advertiserId],
    action: batch.action === 'remove' ? 'delete' : 'add',
    id_schema: batch.fields.map((f) => tiktokPartner.schemaOf[f]),
    batch_data: batch.items.map((item) =>
      batch.fields.map((f): MappingCell | Record<string, never> => {
        const id = item.hashes[f];
        return id === undefined ? {} : { id, audience_ids: audienceIds };
      }),
    ),
  };
}

/** TikTok's consent URL (reference §2.1): `authUrl` is the whole page URL, e.g. `https://business-api.tiktok.com/portal/auth`. */
export function buildAuthorizeUrl(authUrl: string, p: { appId: string; state: string; redirectUri: string }): string {
  const url = new URL(authUrl);
  url.searchParams.set('app_id', p.appId);
  url.searchParams.set('state', p.state);
  url.searchParams.set('redirect_uri', p.redirectUri);
  return url.toString();
}

/** What TikTok does to a long partner-audience name (reference §6): > 70 characters → 67 + `...`. */
export function truncateAudienceName(name: string): string {
  const max = tiktokPartner.limits.audienceNameLength;
  return name.length > max ? `${name.slice(0, max - 3)}...` : name;
}

export { classify, classifyNetworkFailure, type Classification, type FailureKind } from './errors.ts';
