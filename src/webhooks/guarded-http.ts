/**
 * Outbound HTTP that a user aims (webhook steps), guarded per spec §9 (style guide §14). An undici
 * Agent whose connector checks every connection before it is made:
 * - a host name is resolved by the connector's own `lookup` (every address), refused if any answer
 *   is refused by address-policy.ts, and the socket connects to exactly the answers checked: no
 *   second resolution, so no DNS-rebinding window between check and connect;
 * - an address written in the URL (which net.connect would not look up) is checked before connecting;
 *   WHATWG URL parsing has already turned `2130706433`, `0x7f.1` and `127.1` into `127.0.0.1`.
 * Redirects are followed by hand (at most 3), each hop through the same connector; one timeout covers
 * the whole call. A refusal throws WebhookBlockedError, before any byte leaves for that address.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { WebhookBlockedError } from '../core/errors.ts';
import type { HttpRequest } from '../engine/steps/step.ts';
import { describeRange, hostAllowed, refusal, type AllowList } from './address-policy.ts';

/** Every address a host name resolves to (tests inject one; the default asks the system resolver). */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface GuardedHttp {
  /** One call, redirects included: the final status, or a thrown error (WebhookBlockedError when refused). */
  http(req: HttpRequest): Promise<{ status: number }>;
  /** Whether a call to this URL would be refused, without connecting (launch warnings); null when allowed or unknown (e.g. the name does not resolve). */
  check(url: string): Promise<WebhookBlockedError | null>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin, as fetch does: they were meant for the first receiver. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export function guardedHttp(opts: { allow: AllowList; lookup?: Resolve; maxRedirects?: number }): GuardedHttp {
  const { allow } = opts;
  const resolve = opts.lookup ?? systemResolve;
  const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
  const agent = new Agent({ connect: guardedConnector(allow, resolve) });

  return {
    async http(req) {
      const signal = AbortSignal.timeout(req.timeoutMs || DEFAULT_TIMEOUT_MS);
      let url = target(req.url);
      let method = req.method.toUpperCase();
      let headers: Record<string, string> = { ...req.headers };
      let body = req.body;
      for (let hop = 0; ; hop++) {
        // The connector checks too; refusing here first keeps a written-out address from being dispatched at all.
        const early = literalRefusal(url, allow);
        if (early) throw early;
        const res = await agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body, signal });
        // Drain (up to 64 KiB, then the socket is closed instead), so the connection is reused.
        await res.body.dump({ limit: 64 * 1024, signal }).catch(() => undefined);
        const location = res.headers.location;
        if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string' || hop >= maxRedirects) return { status: res.statusCode };
        let next: URL;
        try {
          next = target(new URL(location, url).href);
        } catch (e) {
          if (e instanceof WebhookBlockedError) throw e;
          return { status: res.statusCode }; // an unreadable Location: the answer stands as it is
        }
        // 303, and 301/302 after a POST, become a GET without a body (as browsers and fetch do).
        if ((res.statusCode === 303 && method !== 'HEAD') || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers = omit(headers, (k) => k === 'content-type' || k === 'content-length');
        }
        if (next.origin !== url.origin) headers = omit(headers, (k) => CREDENTIAL_HEADERS.has(k));
        url = next;
      }
    },

    async check(raw) {
      let url: URL;
      try {
        url = target(raw);
      } catch (e) {
        return e instanceof WebhookBlockedError ? e : null;
      }
      const host = bareHost(url.hostname);
      if (hostAllowed(host, portOf(url), allow)) return null;
      if (isIP(host)) return literalRefusal(url, allow);
      const answers = await resolve(host).catch(() => []);
      return answersRefusal(host, answers, allow);
    },

    close: () => agent.close(),
  };
}

/** The connector every connection of the agent goes through. */
function guardedConnector(allow: AllowList, resolve: Resolve): buildConnector.connector {
  const guarded = buildConnector({ lookup: guardedLookup(allow, resolve) });
  // Named in `host` or `host:port` entries: the operator trusts that name, whatever it resolves to.
  const trusted = buildConnector({ lookup: netLookup(resolve) });
  return (options, callback) => {
    const host = bareHost(options.hostname);
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    if (hostAllowed(host, port, allow)) return trusted(options, callback);
    if (isIP(host)) {
      const why = refusal(host, allow);
      if (why !== null) return callback(new WebhookBlockedError(host, `${host} is ${describeRange(why)}`), null);
    }
    return guarded(options, callback);
  };
}

type NetLookup = (hostname: string, options: { all?: boolean; family?: number | string }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => void;

/** A net.connect `lookup` that answers what `resolve` says, refusing (before any connection) when `vet` objects. */
function netLookup(resolve: Resolve, vet: (host: string, answers: readonly LookupAddress[]) => Error | null = () => null): NetLookup {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const answers = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
        const refused = vet(hostname, all);
        if (refused) return callback(refused, []);
        const first = answers[0];
        if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
        if (options.all) callback(null, [...answers]);
        else callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, []),
    );
  };
}

function guardedLookup(allow: AllowList, resolve: Resolve): NetLookup {
  return netLookup(resolve, (host, answers) => answersRefusal(host, answers, allow));
}

/** Refused when any answer is: a name that resolves to a public and a private address could be either. */
function answersRefusal(host: string, answers: readonly LookupAddress[], allow: AllowList): WebhookBlockedError | null {
  for (const a of answers) {
    const why = refusal(a.address, allow);
    if (why !== null) return new WebhookBlockedError(host, `it resolves to ${a.address}, ${describeRange(why)}`);
  }
  return null;
}

/** A URL Cohort may call at all: http or https. */
function target(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookBlockedError(url.hostname || url.protocol, `only http and https are called, not ${url.protocol}`);
  return url;
}

/** An address written in the URL, refused without connecting (names are checked by the connector's lookup). */
function literalRefusal(url: URL, allow: AllowList): WebhookBlockedError | null {
  const host = bareHost(url.hostname);
  if (!isIP(host) || hostAllowed(host, portOf(url), allow)) return null;
  const why = refusal(host, allow);
  return why === null ? null : new WebhookBlockedError(host, `${host} is ${describeRange(why)}`);
}

const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');
const portOf = (url: URL): number => Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
const omit = (headers: Record<string, string>, drop: (lowerName: string) => boolean): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => !drop(k.toLowerCase())));
