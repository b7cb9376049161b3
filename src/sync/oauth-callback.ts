/**
 * TikTok's OAuth callback (reference §2.2–§2.6; spec §4 `GET /oauth/tiktok/callback`): the state is
 * consumed first, and it alone names the workspace, so an unknown, used or expired state, or one from
 * another browser (oauth-browser.ts), touches nothing. Then the code (`auth_code`, else `code`) is exchanged, the token encrypted and stored, and
 * the granted ad accounts fetched and merged with the earlier picks. Every outcome but a bad state is a
 * redirect to the partner page with `connected=1` or a stable `error=<code>`.
 */
import type { Clock } from '../core/clock.ts';
import { ValidationError } from '../core/errors.ts';
import type { Advertiser, TikTokClient, TikTokFailure } from '../partners/tiktok/client.ts';
import type { Store, TikTokAdvertiserRecord } from '../store/port.ts';
import type { TokenCipher } from './token-cipher.ts';

export const CALLBACK_PATH = '/oauth/tiktok/callback';
/** The redirect_uri Cohort gives TikTok: its public origin + CALLBACK_PATH. The built-in emulator pins this very string. */
export const callbackUrl = (publicUrl: string): string => `${publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;
/** The dashboard's partner page; the callback redirects there. */
export const PARTNER_PAGE = '/partners/tiktok';

export interface CallbackQuery {
  auth_code?: string | undefined;
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
}

export interface CallbackDeps {
  store: Store;
  clock: Clock;
  client: TikTokClient;
  cipher: TokenCipher;
  appId: string;
  logger?: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
  /** The state's workspace if it was unused, unexpired and may be completed by this browser (it is used from now on), else null. */
  consumeState(state: string): Promise<string | null>;
}

export interface CallbackResult {
  connected: boolean;
  workspaceId: string;
  redirect: string;
}

const fail = (workspaceId: string, error: string): CallbackResult => ({ connected: false, workspaceId, redirect: `${PARTNER_PAGE}?error=${error}` });

export async function completeCallback(q: CallbackQuery, d: CallbackDeps): Promise<CallbackResult> {
  const state = nonEmpty(q.state);
  if (state === undefined) {
    throw new ValidationError('invalid_state', 'This TikTok callback carries no state, so it cannot be matched to a workspace. Start connecting again from Cohort.');
  }
  const workspaceId = await d.consumeState(state);
  if (workspaceId === null) {
    throw new ValidationError(
      'invalid_state',
      'This TikTok sign-in link is unknown, has expired (links last 10 minutes) or was already used, or it was started in another browser. Start connecting again from Cohort, in this browser.',
    );
  }

  const denied = nonEmpty(q.error);
  if (denied !== undefined) {
    const error = /^[a-z_]{1,40}$/.test(denied) ? denied : 'consent_failed';
    d.logger?.info({ workspaceId, error }, 'TikTok consent not given');
    return fail(workspaceId, error);
  }
  // Prefer auth_code, fall back to code (reference §2.2: Airbyte's reading; the two carry one value).
  const code = nonEmpty(q.auth_code) ?? nonEmpty(q.code);
  if (code === undefined) return fail(workspaceId, 'missing_code');

  const exchanged = await d.client.exchangeAuthCode(code);
  if (!exchanged.ok) return failed(d, workspaceId, 'exchange', exchanged.failure);
  const token = exchanged.data.accessToken;
  const advertisers = await d.client.getAuthorizedAdvertisers(token);
  if (!advertisers.ok) return failed(d, workspaceId, 'advertisers', advertisers.failure);

  const encryptedToken = d.cipher.encrypt(token, workspaceId); // bound to this workspace: it opens nowhere else
  const now = d.clock.now();
  const granted = await d.store.transaction(async (tx) => {
    const merged = mergeAdvertisers(await tx.listTikTokAdvertisers(workspaceId), advertisers.data);
    await tx.saveTikTokConnection({ workspaceId, appId: d.appId, encryptedToken }, now);
    await tx.replaceTikTokAdvertisers(workspaceId, merged);
    return merged;
  });
  d.logger?.info({ workspaceId, advertisers: granted.length, selected: granted.filter((a) => a.selected).length }, 'TikTok connected');
  return { connected: true, workspaceId, redirect: `${PARTNER_PAGE}?connected=1` };
}

function failed(d: CallbackDeps, workspaceId: string, stage: 'exchange' | 'advertisers', f: TikTokFailure): CallbackResult {
  d.logger?.warn({ workspaceId, stage, kind: f.kind, reason: f.reason, code: f.code, tiktokRequestId: f.requestId }, 'TikTok connect failed');
  if (f.kind === 'transient' || f.kind === 'rate_limited') return fail(workspaceId, 'tiktok_unavailable');
  if (f.reason === 'invalid_app_credentials') return fail(workspaceId, 'app_credentials_invalid');
  return fail(workspaceId, stage === 'exchange' ? 'auth_code_rejected' : 'advertisers_unavailable');
}

function nonEmpty(v: string | undefined): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/**
 * Pure: the ad accounts after a (re)connect. Those granted now, with TikTok's names; earlier picks kept;
 * newly granted ones picked when none of the still-granted ones was (a first connect picks them all).
 */
export function mergeAdvertisers(before: readonly TikTokAdvertiserRecord[], granted: readonly Advertiser[]): TikTokAdvertiserRecord[] {
  const previous = new Map(before.map((a) => [a.advertiserId, a]));
  const unique = [...new Map(granted.map((g) => [g.advertiserId, g])).values()];
  const anyPicked = unique.some((g) => previous.get(g.advertiserId)?.selected === true);
  return unique.map((g) => {
    const p = previous.get(g.advertiserId);
    return { advertiserId: g.advertiserId, advertiserName: g.advertiserName || p?.advertiserName || '', selected: p ? p.selected : !anyPicked };
  });
}
