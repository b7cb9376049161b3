/**
 * A thin, typed HTTP layer over TikTok's Marketing API v1.3. Every call returns a classified result
 * instead of throwing: `{ok:true, data}` or `{ok:false, failure}` (errors.ts decides the kind).
 * The access token travels only in the `Access-Token` header; it is never put in a URL, an error
 * message or a log line, and any echo of it in TikTok's own message is redacted.
 */
import { classify, classifyNetworkFailure, envelopeMessage, type FailureKind } from './errors.ts';
import { nodeTransport, type HttpAnswer, type HttpTransport } from './http-transport.ts';
import { API_PREFIX, type MappingBody } from './index.ts';

export interface TikTokClientOptions {
  /** Origin, e.g. `https://business-api.tiktok.com`; `/open_api/v1.3/…` is appended. */
  apiBase: string;
  appId: string;
  appSecret: string;
  /** Per-request timeout; a request that takes longer is a transient failure. */
  timeoutMs?: number;
  /** How requests travel (http-transport.ts); default node:http(s). */
  transport?: HttpTransport;
}

export interface TikTokFailure {
  kind: FailureKind;
  /** Stable snake_case reason, e.g. `token_revoked`, `tiktok_rate_limited`, `http_502`, `timeout`. */
  reason: string;
  code: number | null;
  httpStatus: number | null;
  message: string;
  requestId: string | null;
}
export type TikTokResult<T> = { ok: true; data: T; requestId: string | null } | { ok: false; failure: TikTokFailure };

export interface AuthorizedToken {
  accessToken: string;
  advertiserIds: string[];
  scope: number[];
}
export interface Advertiser {
  advertiserId: string;
  advertiserName: string;
}
export interface AdvertiserInfo {
  advertiserId: string;
  name: string;
  status: string | null;
  currency: string | null;
  timezone: string | null;
}
export interface Audience {
  audienceId: string;
  name: string;
  type: string;
  /** TikTok's matched size (`cover_num`); shown as 0 below about 1,000. */
  size: number;
  isValid: boolean;
  createTime: string | null;
}
export interface AudiencePage {
  audiences: Audience[];
  page: number;
  totalPages: number;
  total: number;
}

type Json = Record<string, unknown>;
type Query = Record<string, string | number | readonly string[]>;

export interface TikTokClient {
  exchangeAuthCode(authCode: string): Promise<TikTokResult<AuthorizedToken>>;
  revokeToken(accessToken: string): Promise<TikTokResult<{ advertiserIds: string[] }>>;
  getAuthorizedAdvertisers(accessToken: string): Promise<TikTokResult<Advertiser[]>>;
  getAdvertiserInfo(accessToken: string, advertiserIds: readonly string[]): Promise<TikTokResult<AdvertiserInfo[]>>;
  getUserInfo(accessToken: string): Promise<TikTokResult<{ displayName: string | null }>>;
  createAudience(accessToken: string, advertiserId: string, name: string): Promise<TikTokResult<{ audienceId: string }>>;
  listAudiences(accessToken: string, advertiserId: string, page?: number, pageSize?: number): Promise<TikTokResult<AudiencePage>>;
  /** Every page, up to TikTok's 400-audience cap. */
  listAllAudiences(accessToken: string, advertiserId: string): Promise<TikTokResult<Audience[]>>;
  /** A missing or deleted audience answers `{ok:false, failure:{kind:'audience_not_found'}}`. */
  getAudience(accessToken: string, advertiserId: string, audienceId: string): Promise<TikTokResult<Audience>>;
  deleteAudience(accessToken: string, advertiserId: string, audienceId: string): Promise<TikTokResult<null>>;
  /** Adds or removes up to 10,000 users (`body` from `buildMapping`, or its JSON bytes from `encodeMapping`). */
  mapping(accessToken: string, body: MappingBody | Uint8Array): Promise<TikTokResult<null>>;
}

export function createTikTokClient(options: TikTokClientOptions): TikTokClient {
  const base = options.apiBase.replace(/\/+$/, '') + API_PREFIX;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const send = options.transport ?? nodeTransport();
  const app = { app_id: options.appId, secret: options.appSecret };

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    p: { token?: string; query?: Query; body?: unknown },
    parse: (data: Json) => T,
  ): Promise<TikTokResult<T>> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(p.query ?? {})) {
      // Array-valued query params are JSON-encoded strings on TikTok (reference §1).
      url.searchParams.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (p.token !== undefined) headers['access-token'] = p.token;
    if (p.body !== undefined) headers['content-type'] = 'application/json';
    let response: HttpAnswer;
    try {
      response = await send(url, { method, headers, body: p.body === undefined ? undefined : p.body instanceof Uint8Array ? p.body : JSON.stringify(p.body), timeoutMs });
    } catch (error) {
      const c = classifyNetworkFailure(error);
      const kind = c.kind === 'ok' ? 'transient' : c.kind;
      const reason = c.kind === 'ok' ? 'network_error' : c.reason;
      return fail({ kind, reason, code: null, httpStatus: null, message: `TikTok ${path} did not answer (${reason})`, requestId: null });
    }
    const body = parseJson(response.text);
    const c = classify(response.status, body);
    const requestId = typeof body === 'object' && body !== null && typeof (body as Json).request_id === 'string' ? ((body as Json).request_id as string) : null;
    if (c.kind !== 'ok') {
      const code = typeof body === 'object' && body !== null && typeof (body as Json).code === 'number' ? ((body as Json).code as number) : null;
      const tiktokMessage = redact(envelopeMessage(body), p.token, options.appSecret) || `HTTP ${response.status}`;
      return fail({ kind: c.kind, reason: c.reason, code, httpStatus: response.status, message: `TikTok ${path}: ${tiktokMessage}`, requestId });
    }
    const data = typeof body === 'object' && body !== null && typeof (body as Json).data === 'object' && (body as Json).data !== null ? ((body as Json).data as Json) : {};
    try {
      return { ok: true, data: parse(data), requestId };
    } catch (error) {
      // The envelope said OK but the data is not what the contract promises.
      const detail = error instanceof Error ? error.message : 'unexpected data';
      return fail({ kind: 'transient', reason: 'unexpected_response', code: 0, httpStatus: response.status, message: `TikTok ${path}: ${detail}`, requestId });
    }
  }

  const client: TikTokClient = {
    exchangeAuthCode: (authCode) =>
      call('POST', '/oauth2/access_token/', { body: { ...app, auth_code: authCode } }, (d) => ({
        accessToken: str(d.access_token, 'access_token'),
        advertiserIds: strings(d.advertiser_ids),
        scope: Array.isArray(d.scope) ? d.scope.filter((s): s is number => typeof s === 'number') : [],
      })),
    revokeToken: (accessToken) =>
      call('POST', '/oauth2/revoke_token/', { body: { ...app, access_token: accessToken } }, (d) => ({ advertiserIds: strings(d.advertiser_ids) })),
    getAuthorizedAdvertisers: (token) =>
      call('GET', '/oauth2/advertiser/get/', { token, query: { ...app } }, (d) =>
        list(d.list).map((a) => ({ advertiserId: str(a.advertiser_id, 'advertiser_id'), advertiserName: optStr(a.advertiser_name) ?? '' })),
      ),
    getAdvertiserInfo: (token, advertiserIds) =>
      call('GET', '/advertiser/info/', { token, query: { advertiser_ids: advertiserIds } }, (d) =>
        list(d.list).map((a) => ({
          advertiserId: str(a.advertiser_id, 'advertiser_id'),
          name: optStr(a.name) ?? '',
          status: optStr(a.status),
          currency: optStr(a.currency),
          timezone: optStr(a.timezone),
        })),
      ),
    getUserInfo: (token) => call('GET', '/user/info/', { token }, (d) => ({ displayName: optStr(d.display_name) })),
    createAudience: (token, advertiserId, name) =>
      call('POST', '/segment/audience/', { token, body: { advertiser_id: advertiserId, custom_audience_name: name, action: 'create' } }, (d) => ({
        audienceId: idString(d.audience_id, 'audience_id'),
      })),
    listAudiences: (token, advertiserId, page = 1, pageSize = 100) =>
      call('GET', '/dmp/custom_audience/list/', { token, query: { advertiser_id: advertiserId, page, page_size: pageSize } }, (d) => {
        const info = (typeof d.page_info === 'object' && d.page_info !== null ? d.page_info : {}) as Json;
        return {
          audiences: list(d.list).map(toAudience),
          page: num(info.page, page),
          totalPages: num(info.total_page, 1),
          total: num(info.total_number, 0),
        };
      }),
    async listAllAudiences(token, advertiserId) {
      const all: Audience[] = [];
      for (let page = 1; ; page++) {
        const r = await client.listAudiences(token, advertiserId, page, 100);
        if (!r.ok) return r;
        all.push(...r.data.audiences);
        // Bounded: TikTok caps an advertiser at 400 audiences, i.e. 4 pages of 100.
        if (page >= r.data.totalPages || r.data.audiences.length === 0 || page >= 10) return { ok: true, data: all, requestId: r.requestId };
      }
    },
    async getAudience(token, advertiserId, audienceId) {
      const r = await call(
        'GET',
        '/dmp/custom_audience/get/',
        { token, query: { advertiser_id: advertiserId, custom_audience_ids: [audienceId] } },
        (d) => list(d.list).map((item) => toAudience((typeof item.audience_details === 'object' && item.audience_details !== null ? item.audience_details : item) as Json)),
      );
      if (!r.ok) return r;
      const found = r.data.find((a) => a.audienceId === audienceId);
      if (found) return { ok: true, data: found, requestId: r.requestId };
      return fail({ kind: 'audience_not_found', reason: 'audience_not_found', code: 0, httpStatus: 200, message: `TikTok audience ${audienceId} was not returned`, requestId: r.requestId });
    },
    deleteAudience: (token, advertiserId, audienceId) =>
      call('POST', '/dmp/custom_audience/delete/', { token, body: { advertiser_id: advertiserId, custom_audience_ids: [audienceId] } }, () => null),
    mapping: (token, body) => call('POST', '/segment/mapping/', { token, body }, () => null),
  };
  return client;
}

function fail(failure: TikTokFailure): { ok: false; failure: TikTokFailure } {
  return { ok: false, failure };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function redact(message: string, ...secrets: (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out.slice(0, 500);
}

function toAudience(a: Json): Audience {
  return {
    audienceId: idString(a.audience_id, 'audience_id'),
    name: optStr(a.name) ?? '',
    type: optStr(a.audience_type) ?? optStr(a.type) ?? 'unknown',
    size: num(a.cover_num, 0),
    isValid: a.is_valid === true,
    createTime: optStr(a.create_time),
  };
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : [];
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}
function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`missing ${field}`);
  return v;
}
/** v1.2 samples sent ids as numbers; v1.3 as strings. Accept both, keep strings. */
function idString(v: unknown, field: string): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return str(v, field);
}
function optStr(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
