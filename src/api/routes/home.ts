/**
 * `GET /`: what a person who opens Cohort in a browser meets. Until the dashboard is served here (issue
 * 17), a page that says Cohort is running and where to go, instead of a JSON 404. Public: it shows no
 * workspace's data, only links.
 */
import type { FastifyPluginAsync } from 'fastify';
import { layout, PAGE_HEADERS } from './partners-page.ts';

export function renderHomePage(emulator: boolean): string {
  return layout(
    'Cohort is running',
    `<p>Customer journeys whose Audience Sync step streams users into TikTok custom audiences.</p>
<p>The dashboard is not part of this version yet. Everything it will do is in the HTTP API, browsable at <a href="/api/docs">/api/docs</a>:</p>
<ol>
<li>Create a workspace and its API key on the command line: <code>./bin/cohort workspaces create Acme</code>.</li>
<li>Connect TikTok: <code>POST /api/partners/tiktok/connect</code> with <code>Authorization: Bearer &lt;key&gt;</code>, then open the <code>authorize_url</code> it returns.</li>
<li>Create an audience, a canvas with an <code>audience_sync</code> step, launch it, and watch <code>GET /api/canvases/{id}/analytics</code>.</li>
</ol>
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a>.</p>`,
    emulator,
  );
}

export const homeRoutes: FastifyPluginAsync<{ emulator: boolean }> = async (app, { emulator }) => {
  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => reply.headers(PAGE_HEADERS).send(renderHomePage(emulator)));
};
