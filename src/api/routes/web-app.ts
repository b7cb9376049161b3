/**
 * The dashboard (spec §8) as the browser meets it: the built single-page app of `web/` (`web/dist`),
 * or, in a copy where it was not built, server-rendered pages that say so.
 *
 * Every route here is public. The app shell and its assets hold no workspace data (the app asks
 * `/api/session` who is signed in), and the fallback pages show only links, or, on `/partners/tiktok`
 * (where the OAuth callback lands), what the redirect's query says. The API stays under `/api`; a path
 * that is neither an app route nor an asset is the JSON 404 it always was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { PARTNER_PAGE } from '../../sync/connections.ts';
import { layout, PAGE_HEADERS, renderPartnerPage } from './partners-page.ts';

export interface WebAppOptions {
  /** The built bundle (`web/dist`: index.html, assets/, favicon.svg); null or a folder without index.html = the fallback pages. */
  webDir: string | null;
  /** The built-in TikTok emulator is in use: the fallback pages say so. */
  emulator: boolean;
}

/** The app's routes (spec §8), each answered with the app's index.html; the app routes on the client. */
export const SPA_ROUTES = [
  '/',
  '/setup',
  '/signin',
  '/signin/link',
  '/canvases',
  '/canvases/:id',
  '/canvases/:id/analytics',
  PARTNER_PAGE,
  '/users',
  '/users/:external_id',
  '/settings/members',
  '/settings/api-keys',
] as const;

/**
 * The app's scripts and styles come only from this origin. style-src needs 'unsafe-inline' because
 * @xyflow/react and uPlot set style attributes; scripts stay 'self' only.
 */
export const SPA_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SPA_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The index names the hashed assets of one build: always revalidate it, so a new build is picked up.
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'content-security-policy': SPA_CSP,
} as const;

const hidden = { config: { public: true }, schema: { hide: true } } as const;

export const webAppRoutes: FastifyPluginAsync<WebAppOptions> = async (app, { webDir, emulator }) => {
  const index = webDir === null ? null : await readIndex(webDir);
  if (webDir === null || index === null) {
    if (webDir !== null) app.log.warn({ webDir }, 'the dashboard is not built (no index.html): serving a page that says how to build it');
    registerFallback(app, emulator);
    return;
  }
  for (const url of SPA_ROUTES) app.get(url, hidden, async (_req, reply) => reply.headers(SPA_HEADERS).send(index));
  await app.register(assetRoutes, { webDir });
};

/** Read once at start: the index is small, and a running server serves the build it started with. */
async function readIndex(webDir: string): Promise<string | null> {
  try {
    return await readFile(join(webDir, 'index.html'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * `/assets/*` (hashed names: cached for a year, immutable) and `/favicon.svg` (revalidated). @fastify/static
 * (`send`) keeps every path inside its root and refuses dotfiles; its routes are made public by this
 * scope's onRoute hook, since they are defined inside the plugin.
 */
const assetRoutes: FastifyPluginAsync<{ webDir: string }> = async (app, { webDir }) => {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
  });
  await app.register(fastifyStatic, {
    root: join(webDir, 'assets'),
    prefix: '/assets/',
    wildcard: true,
    dotfiles: 'deny',
    index: false,
    list: false,
    redirect: false,
    maxAge: '365d',
    immutable: true,
    setHeaders: (reply) => void reply.header('x-content-type-options', 'nosniff'),
  });
  app.get('/favicon.svg', hidden, async (_req, reply) => reply.header('x-content-type-options', 'nosniff').sendFile('favicon.svg', webDir, { maxAge: 0, immutable: false, dotfiles: 'deny' }));
};

/** What a copy without the built dashboard answers on the app's routes: how to build it, and where to go meanwhile. */
function registerFallback(app: FastifyInstance, emulator: boolean): void {
  const page = renderNotBuiltPage(emulator);
  for (const url of SPA_ROUTES) {
    if (url === PARTNER_PAGE) continue;
    app.get(url, hidden, async (_req, reply) => reply.headers(PAGE_HEADERS).send(page));
  }
  // Where the OAuth callback lands: connected, or which error, from the query (partners-page.ts).
  app.get<{ Querystring: { connected?: string; error?: string } }>(
    PARTNER_PAGE,
    { ...hidden, schema: { ...hidden.schema, querystring: { type: 'object', properties: { connected: { type: 'string', maxLength: 8 }, error: { type: 'string', maxLength: 200 } } } } },
    async (req, reply) => reply.headers(PAGE_HEADERS).send(renderPartnerPage({ connected: req.query.connected === '1', error: req.query.error ?? null, emulator })),
  );
}

export function renderNotBuiltPage(emulator: boolean): string {
  return layout(
    'Cohort is running',
    `<p>Customer journeys whose Audience Sync step streams users into TikTok custom audiences.</p>
<p><strong>The dashboard is not built in this copy of Cohort.</strong> Build it with <code>npm run build:web</code> (<code>npm ci</code> builds it too), then restart <code>cohort serve</code>.</p>
<p>Meanwhile everything the dashboard does is in the HTTP API, browsable at <a href="/api/docs">/api/docs</a>:</p>
<ol>
<li>Create a workspace and its API key on the command line: <code>./bin/cohort workspaces create Acme</code>.</li>
<li>Connect TikTok: <code>POST /api/partners/tiktok/connect</code> with <code>Authorization: Bearer &lt;key&gt;</code>, then open the <code>authorize_url</code> it returns.</li>
<li>Create an audience, a canvas with an <code>audience_sync</code> step, launch it, and watch <code>GET /api/canvases/{id}/analytics</code>.</li>
</ol>
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a>.</p>`,
    emulator,
  );
}
