/**
 * A workspace's TikTok connection (spec §1 "connection", §4 partner routes; issue #4 item 1): OAuth with
 * single-use states, the token encrypted at rest, the ad accounts the admin picks, audiences, and the
 * status `connected | invalid_token | disconnected` that launch validation and the sender read.
 *
 * The plain token exists only in memory, between decryption and the TikTok call: it is never logged,
 * put in an error message or returned by the API. `accessToken` (for the sender) is the one exit.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LaunchContext } from '../core/canvas.ts';
import type { Clock } from '../core/clock.ts';
import { ConflictError, UnprocessableError, UpstreamError, ValidationError } from '../core/errors.ts';
import type { TikTokClient, TikTokFailure } from '../partners/tiktok/client.ts';
import { buildAuthorizeUrl, tiktokPartner } from '../partners/tiktok/index.ts';
import type { OAuthStarter, Store, TikTokAdvertiserRecord, TikTokConnectionRecord, TikTokConnectionStatus } from '../store/port.ts';
import { newBrowserCookie, presentedBrowserHash, type BrowserCookie } from './oauth-browser.ts';

export { CALLBACK_PATH, callbackUrl, mergeAdvertisers, PARTNER_PAGE, type CallbackQuery } from './oauth-callback.ts';
export { OAUTH_COOKIE_PATH, oauthCookieName, type BrowserCookie } from './oauth-browser.ts';
export type { OAuthStarter } from '../store/port.ts';
import { callbackUrl, completeCallback, type CallbackQuery } from './oauth-callback.ts';
import { TokenKeyChangedError, type TokenCipher } from './token-cipher.ts';

/** "a random single-use state (10 min)" (spec §4). */
export const STATE_TTL_MS = 10 * 60_000;

/** pino's shape, narrowed to what the service uses: an object of ids first, a constant message second. */
export interface ConnectionLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ConnectionServiceOptions {
  store: Store;
  clock: Clock;
  client: TikTokClient;
  cipher: TokenCipher;
  /** Cohort's public origin; a function, because without COHORT_PUBLIC_URL the port is known only after listen. */
  publicUrl: string | (() => string);
  /** TikTok's whole consent URL (TIKTOK_AUTH_URL, or the built-in emulator's `/portal/auth`). */
  authUrl: string;
  appId: string;
  /** True when TikTok is the built-in emulator: shown in the status answer and the partner page. */
  emulator?: boolean;
  logger?: ConnectionLogger;
  /** How long a disconnect waits for TikTok's revoke before giving up on it (default 5 s). */
  revokeTimeoutMs?: number;
}

export interface AdvertiserView {
  advertiser_id: string;
  advertiser_name: string;
  selected: boolean;
}
export interface ConnectionView {
  status: TikTokConnectionStatus;
  advertisers: AdvertiserView[];
  /** Why the status is not `connected` (e.g. `token_revoked`), else null. */
  status_reason: string | null;
  emulator: boolean;
}
export interface AudienceView {
  audience_id: string;
  name: string;
  type: string;
  size: number;
}

export type ReconnectListener = (workspaceId: string) => void | Promise<void>;

export interface ConnectionService {
  readonly appId: string;
  readonly emulator: boolean;
  /**
   * A consent URL with a fresh state bound to the workspace for 10 minutes, and the cookie that binds it
   * to the browser too (oauth-browser.ts; the caller sets it on its answer). A state started by a
   * `session` needs that cookie at the callback; one started by an `api_key` does not. One insert.
   */
  startConnect(workspaceId: string, startedBy: OAuthStarter): Promise<{ authorize_url: string; cookie: BrowserCookie }>;
  /**
   * The OAuth callback, with the request's cookies: where to redirect the browser. Throws ValidationError
   * (400) for a missing, unknown, used or expired state, or one this browser may not complete.
   */
  completeCallback(query: CallbackQuery, cookies: Readonly<Record<string, string | undefined>>): Promise<{ redirect: string; workspaceId: string }>;
  status(workspaceId: string): Promise<ConnectionView>;
  /** Picks the ad accounts to use; each must be one of the connection's (else 400 naming the unknown ones). Idempotent. */
  selectAdvertisers(workspaceId: string, advertiserIds: readonly string[]): Promise<ConnectionView>;
  /** Erases the token and the ad accounts; revokes the token at TikTok best-effort. Idempotent; never fails because of TikTok. */
  disconnect(workspaceId: string): Promise<ConnectionView>;
  listAudiences(workspaceId: string, advertiserId: string): Promise<AudienceView[]>;
  /** Creates a Partner audience; serialised per workspace and advertiser. The 401st is a 409 `audience_limit_reached`. */
  createAudience(workspaceId: string, advertiserId: string, name: string): Promise<{ audience_id: string }>;
  /** What launch validation needs (spec §3): the status and the selected ad accounts. */
  launchContext(workspaceId: string): Promise<LaunchContext['tiktok']>;
  /**
   * For the sender only: the decrypted token while the connection is `connected`, else `token: null`
   * with the status (items park). A token that no longer decrypts marks the connection invalid.
   */
  accessToken(workspaceId: string): Promise<{ token: string | null; status: TikTokConnectionStatus }>;
  /**
   * Marks a connected connection `invalid_token` (the token is kept, so a reconnect replaces it). With
   * `fence.token`, only while that token is still the stored one: a failure of a token that a reconnect
   * already replaced changes nothing. True if it changed.
   */
  markTokenInvalid(workspaceId: string, reason: string, fence?: { token: string }): Promise<boolean>;
  /** Called after every successful callback (connect or reconnect). Returns an unsubscribe function. */
  onReconnect(listener: ReconnectListener): () => void;
}

/** A decrypted token for one API call, and its stored form (the fence for invalidating it). */
interface Live {
  token: string;
  encrypted: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function createConnectionService(o: ConnectionServiceOptions): ConnectionService {
  const { store, clock, client, cipher } = o;
  const emulator = o.emulator ?? false;
  const revokeTimeoutMs = o.revokeTimeoutMs ?? 5_000;
  const publicUrl = typeof o.publicUrl === 'function' ? o.publicUrl : () => o.publicUrl as string;
  const listeners = new Set<ReconnectListener>();
  const createLocks = new Map<string, Promise<unknown>>();

  /** A token of another TikTok app (the emulator's after switching to real credentials) is not usable here. */
  const effectiveStatus = (c: TikTokConnectionRecord): { status: TikTokConnectionStatus; reason: string | null } =>
    c.status === 'connected' && c.appId !== o.appId ? { status: 'invalid_token', reason: 'app_changed' } : { status: c.status, reason: c.statusReason };

  async function view(workspaceId: string): Promise<ConnectionView> {
    const c = await store.getTikTokConnection(workspaceId);
    if (!c || c.status === 'disconnected') return { status: 'disconnected', advertisers: [], status_reason: c?.statusReason ?? null, emulator };
    const { status, reason } = effectiveStatus(c);
    const advertisers = (await store.listTikTokAdvertisers(workspaceId)).map((a) => ({ advertiser_id: a.advertiserId, advertiser_name: a.advertiserName, selected: a.selected }));
    return { status, advertisers, status_reason: status === 'connected' ? null : reason, emulator };
  }

  async function invalidate(workspaceId: string, reason: string, encryptedToken: string | undefined): Promise<boolean> {
    const changed = await store.markTikTokTokenInvalid(workspaceId, reason.slice(0, 100), clock.now(), encryptedToken === undefined ? undefined : { encryptedToken });
    if (changed) o.logger?.warn({ workspaceId, reason }, 'TikTok connection marked invalid_token; an admin must reconnect');
    return changed;
  }

  /**
   * The stored token opened for its workspace (throws TokenKeyChangedError), and the ciphertext stored
   * from now on (the fence for invalidating it): a v1 value, sealed before tokens were bound to their
   * workspace, is sealed again as v2 on the way, while the row still holds it.
   */
  async function open(workspaceId: string, encrypted: string): Promise<Live> {
    const token = cipher.decrypt(encrypted, workspaceId);
    if (!cipher.isLegacy(encrypted)) return { token, encrypted };
    const resealed = cipher.encrypt(token, workspaceId);
    return (await store.resealTikTokToken(workspaceId, encrypted, resealed)) ? { token, encrypted: resealed } : { token, encrypted };
  }

  /** The usable token for an API call, or the 409 that tells the admin what to do. */
  async function liveToken(workspaceId: string): Promise<Live> {
    const c = await store.getTikTokConnection(workspaceId);
    if (!c || c.status === 'disconnected' || c.encryptedToken === null) {
      throw new ConflictError('tiktok_not_connected', 'TikTok is not connected in this workspace; connect it first (POST /api/partners/tiktok/connect)');
    }
    const { status, reason } = effectiveStatus(c);
    if (status !== 'connected') throw tokenInvalidError(reason);
    try {
      return await open(workspaceId, c.encryptedToken);
    } catch (error) {
      if (!(error instanceof TokenKeyChangedError)) throw error;
      await invalidate(workspaceId, 'secret_key_changed', c.encryptedToken);
      throw new ConflictError('tiktok_token_invalid', error.message);
    }
  }

  /** Maps a TikTok failure of an API call to the error the admin sees; a refused token flips the connection (spec §2.5). */
  async function tiktokFailed(workspaceId: string, failure: TikTokFailure, live: Live): Promise<never> {
    // The client already redacts the token from TikTok's message; this is the belt to its braces.
    const f = { ...failure, message: failure.message.split(live.token).join('[redacted]') };
    o.logger?.warn({ workspaceId, kind: f.kind, reason: f.reason, code: f.code, tiktokRequestId: f.requestId }, 'TikTok call failed');
    if (f.kind === 'invalid_token' || f.kind === 'permission') {
      await invalidate(workspaceId, f.reason, live.encrypted);
      throw tokenInvalidError(f.reason);
    }
    if (f.kind === 'rate_limited' || f.kind === 'transient') {
      throw new UpstreamError('tiktok_unavailable', `TikTok did not complete the request (${f.reason}); try again in a moment`);
    }
    throw new UnprocessableError('tiktok_refused', `TikTok refused the request (${f.reason}): ${f.message}`, [f.message]);
  }

  async function advertiserOf(workspaceId: string, advertiserId: string): Promise<TikTokAdvertiserRecord> {
    const all = await store.listTikTokAdvertisers(workspaceId);
    const found = all.find((a) => a.advertiserId === advertiserId);
    if (!found) {
      const known = all.map((a) => a.advertiserId).join(', ') || 'none';
      throw new ValidationError('unknown_advertiser', `advertiser ${advertiserId} is not one of this workspace's TikTok ad accounts (${known})`);
    }
    return found;
  }

  /** One create at a time per workspace and advertiser, so that parallel clicks cannot race past the cap. */
  async function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = createLocks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    createLocks.set(key, tail);
    try {
      return await run;
    } finally {
      if (createLocks.get(key) === tail) createLocks.delete(key);
    }
  }

  /**
   * TikTok answers the 401st create with a parameter error whose wording is not documented (reference
   * §6 is INFERRED), so a refused create is confirmed by counting: at the cap, it is the limit.
   */
  async function audienceLimitError(workspaceId: string, advertiserId: string, live: Live, tiktokMessage: string | null): Promise<ConflictError | null> {
    const cap = tiktokPartner.limits.audiencesPerAdvertiser;
    const all = await client.listAllAudiences(live.token, advertiserId);
    if (!all.ok) return tiktokFailed(workspaceId, all.failure, live);
    if (all.data.length < cap) return null;
    const detail = tiktokMessage ? ` (TikTok: ${tiktokMessage})` : '';
    return new ConflictError(
      'audience_limit_reached',
      `TikTok allows at most ${cap} audiences per ad account and ad account ${advertiserId} has reached it${detail}; delete an audience in TikTok Ads Manager or use an existing one`,
    );
  }

  const service: ConnectionService = {
    appId: o.appId,
    emulator,

    async startConnect(workspaceId, startedBy) {
      const now = clock.now();
      const state = randomBytes(32).toString('base64url');
      const origin = publicUrl();
      const browser = newBrowserCookie(state, { secure: origin.startsWith('https:'), ttlMs: STATE_TTL_MS });
      await store.insertOAuthState({ stateHash: sha256(state), workspaceId, expiresAt: now + STATE_TTL_MS, startedBy, browserHash: browser.hash });
      await store.pruneOAuthStates(now, 100);
      return { authorize_url: buildAuthorizeUrl(o.authUrl, { appId: o.appId, state, redirectUri: callbackUrl(origin) }), cookie: browser.cookie };
    },

    async completeCallback(query, cookies) {
      const result = await completeCallback(query, {
        store,
        clock,
        client,
        cipher,
        appId: o.appId,
        ...(o.logger ? { logger: o.logger } : {}),
        consumeState: (state) => store.consumeOAuthState(sha256(state), clock.now(), presentedBrowserHash(state, cookies)),
      });
      if (result.connected) {
        for (const listener of listeners) {
          try {
            const pending = listener(result.workspaceId);
            if (pending instanceof Promise) pending.catch((error: unknown) => o.logger?.error({ workspaceId: result.workspaceId, err: errorText(error) }, 'TikTok reconnect listener failed'));
          } catch (error) {
            o.logger?.error({ workspaceId: result.workspaceId, err: errorText(error) }, 'TikTok reconnect listener failed');
          }
        }
      }
      return { redirect: result.redirect, workspaceId: result.workspaceId };
    },

    status: view,

    async selectAdvertisers(workspaceId, advertiserIds) {
      const c = await store.getTikTokConnection(workspaceId);
      if (!c || c.status === 'disconnected') {
        throw new ConflictError('tiktok_not_connected', 'TikTok is not connected in this workspace; connect it first (POST /api/partners/tiktok/connect)');
      }
      const known = new Set((await store.listTikTokAdvertisers(workspaceId)).map((a) => a.advertiserId));
      const unknown = [...new Set(advertiserIds)].filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new ValidationError('unknown_advertiser', `not ad accounts of this workspace's TikTok connection: ${unknown.join(', ')} (known: ${[...known].join(', ') || 'none'})`);
      }
      await store.selectTikTokAdvertisers(workspaceId, advertiserIds);
      return view(workspaceId);
    },

    async disconnect(workspaceId) {
      const c = await store.getTikTokConnection(workspaceId);
      await store.transaction((tx) => tx.disconnectTikTok(workspaceId, 'disconnected', clock.now()));
      if (c?.encryptedToken) {
        let token: string | null = null;
        try {
          token = cipher.decrypt(c.encryptedToken, workspaceId);
        } catch {
          // An undecryptable token cannot be revoked; it is erased all the same.
        }
        if (token !== null) {
          const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, revokeTimeoutMs, 'timeout').unref());
          const revoked = await Promise.race([client.revokeToken(token).catch(() => null), timeout]);
          const outcome = revoked === 'timeout' ? 'timeout' : revoked === null ? 'network_error' : revoked.ok ? 'revoked' : revoked.failure.reason;
          o.logger?.info({ workspaceId, revoke: outcome }, 'TikTok disconnected');
        }
      }
      return view(workspaceId);
    },

    async listAudiences(workspaceId, advertiserId) {
      const live = await liveToken(workspaceId);
      await advertiserOf(workspaceId, advertiserId);
      const r = await client.listAllAudiences(live.token, advertiserId);
      if (!r.ok) return tiktokFailed(workspaceId, r.failure, live);
      return r.data.map((a) => ({ audience_id: a.audienceId, name: a.name, type: a.type, size: a.size }));
    },

    createAudience(workspaceId, advertiserId, name) {
      return serialised(`${workspaceId}\u0000${advertiserId}`, async () => {
        const live = await liveToken(workspaceId);
        const advertiser = await advertiserOf(workspaceId, advertiserId);
        if (!advertiser.selected) {
          throw new UnprocessableError('advertiser_not_selected', `ad account ${advertiserId} is not picked for this workspace; pick it first (PUT /api/partners/tiktok/advertisers)`, [`advertiser ${advertiserId} is not selected`]);
        }
        const r = await client.createAudience(live.token, advertiserId, name.trim());
        if (r.ok) {
          o.logger?.info({ workspaceId, advertiserId, audienceId: r.data.audienceId }, 'TikTok audience created');
          return { audience_id: r.data.audienceId };
        }
        if (r.failure.kind === 'bad_request') {
          const limit = await audienceLimitError(workspaceId, advertiserId, live, tiktokMessageOf(r.failure, live.token));
          if (limit) throw limit;
        }
        return tiktokFailed(workspaceId, r.failure, live);
      });
    },

    async launchContext(workspaceId) {
      const c = await store.getTikTokConnection(workspaceId);
      if (!c || c.status === 'disconnected') return { status: 'disconnected', advertiserIds: [] };
      const selected = (await store.listTikTokAdvertisers(workspaceId)).filter((a) => a.selected).map((a) => a.advertiserId);
      return { status: effectiveStatus(c).status, advertiserIds: selected };
    },

    async accessToken(workspaceId) {
      const c = await store.getTikTokConnection(workspaceId);
      if (!c || c.status === 'disconnected' || c.encryptedToken === null) return { token: null, status: 'disconnected' };
      const { status } = effectiveStatus(c);
      if (status !== 'connected') return { token: null, status };
      try {
        return { token: (await open(workspaceId, c.encryptedToken)).token, status };
      } catch (error) {
        if (!(error instanceof TokenKeyChangedError)) throw error;
        await invalidate(workspaceId, 'secret_key_changed', c.encryptedToken);
        return { token: null, status: 'invalid_token' };
      }
    },

    async markTokenInvalid(workspaceId, reason, fence) {
      if (fence === undefined) return invalidate(workspaceId, reason, undefined);
      const c = await store.getTikTokConnection(workspaceId);
      if (!c?.encryptedToken) return false;
      let stored: string | null = null;
      try {
        stored = cipher.decrypt(c.encryptedToken, workspaceId);
      } catch {
        // Undecryptable: it is not the caller's token either way; accessToken reports it.
      }
      return stored === fence.token ? invalidate(workspaceId, reason, c.encryptedToken) : false;
    },

    onReconnect(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  return service;
}

function tokenInvalidError(reason: string | null): ConflictError {
  return new ConflictError('tiktok_token_invalid', `TikTok no longer accepts this workspace's token (${reason ?? 'invalid_token'}); reconnect TikTok (POST /api/partners/tiktok/connect)`);
}

/** The client's message is `TikTok <path>: <TikTok's message>`, already redacted of the token. */
function tiktokMessageOf(f: TikTokFailure, token: string): string | null {
  const m = /^TikTok \S+: (.*)$/s.exec(f.message.split(token).join('[redacted]'));
  return m?.[1] ? m[1] : null;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
