/**
 * Keeps web pages from driving the admin API (spec §6). `/_emulator/…` has no credentials (its callers
 * are scripts and tests), so a page in the same browser as the emulator could reset it, revoke tokens or
 * inject faults. Browsers mark what a page sends, and scripts do not send those marks:
 * - `Sec-Fetch-Site` other than `same-origin` or `none` (a typed URL): another site, or another port of
 *   this host (Cohort's own pages are `same-site` to the emulator on 127.0.0.1);
 * - an `Origin` that is not the emulator's own (`null` included: sandboxed frames, files);
 * - a body that is not JSON: a form or `text/plain` is what a page can send without a CORS preflight.
 * A script sends no Origin, and JSON or no body, and keeps working.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Names a browser on this machine may use for the emulator when it listens on a loopback or wildcard address. */
const LOOPBACK_OR_ANY = new Set(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::']);

/** The origins of the emulator itself: the address it listens on, and the loopback names when they reach it. */
export function ownOrigins(host: string, port: number): Set<string> {
  const bracket = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  const origins = new Set([`http://${bracket(host)}:${port}`]);
  if (LOOPBACK_OR_ANY.has(host)) for (const h of ['127.0.0.1', 'localhost', '::1']) origins.add(`http://${bracket(h)}:${port}`);
  return origins;
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** Why the request looks like a web page's, with the status to refuse it with; null for a script's. */
export function adminRefusal(req: FastifyRequest, own: ReadonlySet<string>): { status: 403 | 415; error: string } | null {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, error: `the admin API refuses requests from web pages (Sec-Fetch-Site: ${site})` };
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && !own.has(origin.toLowerCase())) {
    return { status: 403, error: "the admin API refuses requests from another site's page (Origin is not the emulator's own)" };
  }
  const type = header(req, 'content-type');
  if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return { status: 415, error: 'the admin API takes a JSON body (content-type: application/json) or none' };
  }
  return null;
}

/** An onRequest hook for the admin routes' scope; `own` is read per request because the port is known only after listen. */
export function adminGuard(own: () => ReadonlySet<string>): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (req, reply) => {
    const refused = adminRefusal(req, own());
    return refused ? reply.code(refused.status).send({ error: refused.error }) : undefined;
  };
}
