/**
 * `/portal/auth`, the browser side of OAuth (spec §6, reference §2.1–§2.2). GET renders the consent page;
 * POST (the form) redirects to `redirect_uri?auth_code=X&code=X&state=S`, or `error=access_denied` on
 * cancel. A link that cannot be honoured (unknown app, bad or unpinned redirect_uri) gets a 400 page
 * instead of a redirect, because redirecting to an unverified URL would be an open redirect.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { renderConsentPage, renderErrorPage, type ConsentView } from './consent-page.ts';
import type { EmulatorContext } from './context.ts';

interface AuthLink {
  appId: string;
  state: string | undefined;
  redirectUri: string;
}

function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The link's app, state and redirect_uri, or why it is refused. */
function readLink(ctx: EmulatorContext, params: Record<string, unknown>): AuthLink | string {
  const app = ctx.state.app;
  const appId = first(params.app_id);
  if (appId === undefined) return 'The app_id parameter is missing.';
  if (appId !== app.appId) return `Unknown app_id "${appId}".`;
  const redirectUri = first(params.redirect_uri);
  if (redirectUri === undefined) return 'The redirect_uri parameter is missing.';
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return `redirect_uri "${redirectUri}" is not an absolute URL.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `redirect_uri "${redirectUri}" must use http or https.`;
  if (app.redirectUri !== undefined && redirectUri !== app.redirectUri) {
    return `redirect_uri "${redirectUri}" does not match the redirect URL registered for app ${appId}.`;
  }
  return { appId, state: first(params.state), redirectUri };
}

/** Adds parameters to redirect_uri, keeping any query it already has. */
function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

const html = (reply: FastifyReply, status: number, body: string): FastifyReply =>
  reply.code(status).type('text/html; charset=utf-8').send(body);

export function registerPortalRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const advertisers = (): ConsentView['advertisers'] =>
    [...ctx.state.advertisers.values()].map((a) => ({ id: a.advertiser_id, name: a.advertiser_name }));

  app.get('/portal/auth', (req, reply) => {
    const link = readLink(ctx, req.query as Record<string, unknown>);
    if (typeof link === 'string') return html(reply, 400, renderErrorPage(link));
    return html(reply, 200, renderConsentPage({ ...link, advertisers: advertisers() }));
  });

  app.post('/portal/auth', (req, reply) => {
    const form = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const link = readLink(ctx, form);
    if (typeof link === 'string') return html(reply, 400, renderErrorPage(link));

    const decision = first(form.decision);
    if (decision === 'cancel') {
      return reply.redirect(withParams(link.redirectUri, { error: 'access_denied', state: link.state }), 302);
    }
    if (decision !== 'confirm') return html(reply, 400, renderErrorPage('decision must be "confirm" or "cancel".'));

    const raw = form.advertiser_ids;
    const chosen = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    const unknown = chosen.filter((id) => !ctx.state.advertisers.has(id));
    const error =
      chosen.length === 0
        ? 'Select at least one ad account to continue.'
        : unknown.length > 0
          ? `Unknown ad account ${unknown.join(', ')}.`
          : undefined;
    if (error !== undefined) {
      const view = { ...link, advertisers: advertisers(), checked: new Set(chosen), error };
      return html(reply, 400, renderConsentPage(view));
    }
    const code = ctx.state.issueAuthCode(link.appId, [...new Set(chosen)]);
    return reply.redirect(withParams(link.redirectUri, { auth_code: code, code, state: link.state }), 302);
  });
}
