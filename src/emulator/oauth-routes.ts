/**
 * OAuth and account routes (reference §2.3–§2.8): exchange an auth code for a long-lived token (no refresh
 * token, no expiry), revoke it, list the advertisers it was granted, advertiser details, and user info.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireAdvertiser, requireApp, requireToken, type EmulatorContext } from './context.ts';
import { ApiError, envelopeRoute, MSG, paramError } from './envelope.ts';
import { asParams, requiredString, stringArray } from './params.ts';
import type { Advertiser } from './state.ts';

const API = '/open_api/v1.3';

/** The advertiser as `/advertiser/info/` shows it (reference §2.7); contact details masked as TikTok does. */
function advertiserInfo(a: Advertiser): Record<string, unknown> {
  return {
    advertiser_id: a.advertiser_id,
    name: a.advertiser_name,
    status: a.status,
    role: a.role,
    currency: a.currency,
    timezone: a.timezone,
    display_timezone: a.display_timezone,
    country: a.country,
    company: a.company,
    create_time: a.create_time,
    balance: 0,
    email: 'ads***@acme.example',
    telephone_number: '+1 ***',
  };
}

function pick(record: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) return record;
  // advertiser_id is always returned: a list of anonymous records could not be matched to the request.
  const out: Record<string, unknown> = { advertiser_id: record.advertiser_id };
  for (const f of fields) if (f in record) out[f] = record[f];
  return out;
}

export function registerOauthRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { clock, state } = ctx;

  app.post(
    `${API}/oauth2/access_token/`,
    envelopeRoute(clock, (req) => {
      const body = asParams(req.body);
      const appId = requiredString(body, 'app_id');
      const secret = requiredString(body, 'secret');
      const authCode = requiredString(body, 'auth_code');
      requireApp(ctx, appId, secret);
      const grant = state.redeemAuthCode(authCode, appId);
      if (typeof grant === 'string') throw new ApiError(40110, grant);
      const accessToken = state.issueToken(appId, grant.advertiserIds);
      return { access_token: accessToken, advertiser_ids: [...grant.advertiserIds], scope: state.tokens.get(accessToken)!.scope };
    }),
  );

  app.post(
    `${API}/oauth2/revoke_token/`,
    envelopeRoute(clock, (req) => {
      const body = asParams(req.body);
      const appId = requiredString(body, 'app_id');
      const secret = requiredString(body, 'secret');
      const accessToken = requiredString(body, 'access_token');
      requireApp(ctx, appId, secret);
      const token = state.tokens.get(accessToken);
      if (!token || token.revoked || token.appId !== appId) throw new ApiError(40105, MSG.tokenInvalid);
      token.revoked = true;
      return { app_id: appId, advertiser_ids: [...token.advertiserIds] };
    }),
  );

  app.get(
    `${API}/oauth2/advertiser/get/`,
    envelopeRoute(clock, (req) => {
      const token = requireToken(ctx, req);
      const query = asParams(req.query, 'query');
      requireApp(ctx, requiredString(query, 'app_id'), requiredString(query, 'secret'));
      const list = token.advertiserIds.flatMap((id) => {
        const a = state.advertisers.get(id);
        return a ? [{ advertiser_id: a.advertiser_id, advertiser_name: a.advertiser_name }] : [];
      });
      return { list };
    }),
  );

  app.get(
    `${API}/advertiser/info/`,
    envelopeRoute(clock, (req) => {
      const token = requireToken(ctx, req);
      const query = asParams(req.query, 'query');
      const ids = stringArray(query, 'advertiser_ids', 100)!;
      const fields = stringArray(query, 'fields', 100, false);
      for (const id of ids) requireAdvertiser(token, id);
      const list = ids.map((id) => {
        const a = state.advertisers.get(id);
        if (!a) throw paramError('advertiser_ids', `advertiser ${id} does not exist`);
        return pick(advertiserInfo(a), fields);
      });
      return { list };
    }),
  );

  // Segment calls user/info with GET, a Go SDK with POST (reference §2.8): accept both.
  const userInfo = envelopeRoute(clock, (req: FastifyRequest) => {
    requireToken(ctx, req);
    return {
      display_name: 'Cohort Emulator User',
      email: 'e***@example.com',
      core_user_id: '7000000000000000100',
      create_time: 1704067200,
      avatar_url: '',
    };
  });
  app.get(`${API}/user/info/`, userInfo);
  app.post(`${API}/user/info/`, userInfo);
}
