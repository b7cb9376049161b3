/**
 * The TikTok partner routes (spec §4): the connection's status, connect (OAuth) and its callback, the
 * ad accounts to use, disconnect, and audiences. The rules live in sync/connections.ts; the workspace
 * comes from the API key, except on the callback, where the single-use state names it.
 *
 * `/oauth/tiktok/callback` is public (`config.public`): a browser arrives there from TikTok without an
 * API key, and it shows no workspace data. It redirects to the dashboard's partner page, `/partners/tiktok`
 * (routes/web-app.ts).
 * `connect` also sets a cookie binding its state to the browser (sync/oauth-browser.ts), which the
 * callback checks.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../core/errors.ts';
import type { CallbackQuery, ConnectionService, OAuthStarter } from '../../sync/connections.ts';
import { CALLBACK_PATH, OAUTH_COOKIE_PATH, oauthCookieName, PARTNER_PAGE } from '../../sync/connections.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBodyParser } from '../json-body.ts';
import { errorResponses } from '../openapi.ts';
import { PAGE_HEADERS, renderCallbackErrorPage } from './partners-page.ts';

const tags = ['partners'];
const AdvertiserId = { type: 'string', minLength: 1, maxLength: 64, description: 'a TikTok ad account (advertiser) id' } as const;

const ConnectionAnswer = {
  type: 'object',
  required: ['status', 'advertisers'],
  properties: {
    status: { type: 'string', enum: ['connected', 'invalid_token', 'disconnected'] },
    advertisers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['advertiser_id', 'advertiser_name', 'selected'],
        properties: { advertiser_id: { type: 'string' }, advertiser_name: { type: 'string' }, selected: { type: 'boolean', description: 'picked for this workspace (PUT /api/partners/tiktok/advertisers)' } },
      },
    },
    status_reason: { type: 'string', nullable: true, description: 'why the status is not connected, e.g. token_revoked' },
    emulator: { type: 'boolean', description: 'true when this Cohort talks to its built-in TikTok emulator (no TIKTOK_APP_ID/TIKTOK_APP_SECRET): no data reaches TikTok' },
  },
} as const;

const Audience = {
  type: 'object',
  required: ['audience_id', 'name', 'type', 'size'],
  properties: {
    audience_id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    size: { type: 'integer', description: "TikTok's matched size; shown as 0 below about 1,000" },
  },
} as const;

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

export const partnerRoutes: FastifyPluginAsync<ApiDeps & { tiktok: ConnectionService }> = async (app, { tiktok }) => {
  // connect and disconnect carry no body, and many clients still label one JSON: accept it empty here
  // (this plugin's scope only), as routes/canvases.ts does for the lifecycle POSTs.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser({ allowEmpty: true }));
  /** A connect started from a dashboard session binds its state to that browser's cookie (spec §9 OAuth). */
  const startedBy = (req: FastifyRequest): OAuthStarter => (req.session ? 'session' : 'api_key');

  app.get(
    '/api/partners/tiktok',
    { config: { role: 'viewer' }, schema: { summary: "The workspace's TikTok connection and its ad accounts", tags, response: { 200: ConnectionAnswer, ...errorResponses(401) } } },
    async (req) => tiktok.status(req.workspaceId),
  );

  app.post(
    '/api/partners/tiktok/connect',
    {
      // Only admins connect, disconnect and pick ad accounts (spec §8).
      config: { role: 'admin' },
      schema: {
        summary: "Start connecting: TikTok's consent URL with a single-use state (10 minutes) bound to this workspace",
        description:
          'Also sets an HttpOnly cookie (path /oauth/tiktok) binding the state to this browser. A connect started from a dashboard session needs that cookie at the callback; one started with an API key does not, and a callback presenting a cookie that does not match is refused.',
        tags,
        response: { 200: { type: 'object', required: ['authorize_url'], properties: { authorize_url: { type: 'string', format: 'uri' } } }, ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      const { authorize_url, cookie: binding } = await tiktok.startConnect(req.workspaceId, startedBy(req));
      reply.setCookie(binding.name, binding.value, binding.options);
      return { authorize_url };
    },
  );

  app.get<{ Querystring: CallbackQuery }>(
    CALLBACK_PATH,
    {
      // The query holds a live state and auth code: keep this route out of the request log.
      logLevel: 'warn',
      // No API key: the single-use state names the workspace (sync/oauth-callback.ts).
      config: { public: true },
      schema: {
        summary: "TikTok's redirect after consent: exchanges the code, stores the token encrypted, fetches the ad accounts",
        description: `No API key: the state names the workspace. Redirects to ${PARTNER_PAGE}?connected=1 or ?error=<code>.`,
        tags,
        querystring: {
          type: 'object',
          properties: {
            auth_code: { type: 'string', maxLength: 2048 },
            code: { type: 'string', maxLength: 2048, description: 'the same code; read when auth_code is absent' },
            state: { type: 'string', maxLength: 512 },
            error: { type: 'string', maxLength: 200, description: 'access_denied when the consent was cancelled' },
          },
        },
        response: { 302: { description: `to ${PARTNER_PAGE}?connected=1 or ${PARTNER_PAGE}?error=<code>`, type: 'null' }, 400: html('missing, unknown, used or expired state, or one this browser may not complete: nothing was changed') },
      },
    },
    async (req, reply) => {
      // The binding is spent either way: the state is used up, or this browser cannot complete it.
      const state = req.query.state?.trim();
      if (state) reply.clearCookie(oauthCookieName(state), { path: OAUTH_COOKIE_PATH });
      try {
        const { redirect } = await tiktok.completeCallback(req.query, req.cookies);
        return reply.redirect(redirect, 302);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return reply.code(400).headers(PAGE_HEADERS).send(renderCallbackErrorPage(error.message, tiktok.emulator));
      }
    },
  );

  app.put<{ Body: { advertiser_ids: string[] } }>(
    '/api/partners/tiktok/advertisers',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Pick the ad accounts this workspace uses (each one of the connection’s)',
        tags,
        body: { type: 'object', required: ['advertiser_ids'], additionalProperties: false, properties: { advertiser_ids: { type: 'array', maxItems: 1000, items: AdvertiserId } } },
        response: { 200: ConnectionAnswer, ...errorResponses(400, 401, 409, 415) },
      },
    },
    async (req) => tiktok.selectAdvertisers(req.workspaceId, req.body.advertiser_ids),
  );

  app.delete(
    '/api/partners/tiktok',
    { config: { role: 'admin' }, schema: { summary: 'Disconnect: erase the token and the ad accounts (revoked at TikTok best-effort)', tags, response: { 200: ConnectionAnswer, ...errorResponses(401) } } },
    async (req) => tiktok.disconnect(req.workspaceId),
  );

  app.get<{ Querystring: { advertiser_id: string } }>(
    '/api/partners/tiktok/audiences',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "An ad account's audiences",
        tags,
        querystring: { type: 'object', required: ['advertiser_id'], properties: { advertiser_id: AdvertiserId } },
        response: { 200: { type: 'object', required: ['audiences'], properties: { audiences: { type: 'array', items: Audience } } }, ...errorResponses(400, 401, 409, 422, 502) },
      },
    },
    async (req) => ({ audiences: await tiktok.listAudiences(req.workspaceId, req.query.advertiser_id) }),
  );

  app.post<{ Body: { advertiser_id: string; name: string } }>(
    '/api/partners/tiktok/audiences',
    {
      // Creating an audience is part of editing an Audience Sync step.
      config: { role: 'editor' },
      schema: {
        summary: 'Create a TikTok Partner audience in a picked ad account (at most 400 per ad account)',
        tags,
        body: {
          type: 'object',
          required: ['advertiser_id', 'name'],
          additionalProperties: false,
          properties: { advertiser_id: AdvertiserId, name: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S', description: 'TikTok shortens names over 70 characters to 67 + "..."' } },
        },
        response: { 201: { type: 'object', required: ['audience_id'], properties: { audience_id: { type: 'string' } } }, ...errorResponses(400, 401, 409, 415, 422, 502) },
      },
    },
    async (req, reply) => reply.code(201).send(await tiktok.createAudience(req.workspaceId, req.body.advertiser_id, req.body.name)),
  );
};
