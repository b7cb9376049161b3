/**
 * The webhook SSRF of issue 16, replayed against real receivers on 127.0.0.1 and ::1: every spelling
 * of a closed address, names resolving there, redirects there and DNS rebinding are refused before
 * any byte reaches them; the allow list opens exactly what it names. Names resolve through an
 * injected lookup, so no test asks a real resolver (but one, for `localhost`), and every public
 * answer below is refused or only checked, never connected to: nothing leaves this machine.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookBlockedError } from '../core/errors.ts';
import type { HttpRequest } from '../engine/steps/step.ts';
import { NO_ALLOWANCES, parseAllowList, type AllowList } from './address-policy.ts';
import { guardedHttp, type GuardedHttp, type Resolve } from './guarded-http.ts';
import { installLoopbackOnly } from '../../test/support/loopback-only.ts';

// Under the guard, a net that lets no socket of this process connect off the machine: were the guard
// ever to let a hostile target through, the test fails on the veto instead of sending a packet out.
const safetyNet = installLoopbackOnly();

interface Receiver {
  port: number;
  got: { method: string; path: string; body: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

async function receiver(host: string, handle: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.end('ok')): Promise<Receiver> {
  const got: Receiver['got'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ method: req.method ?? '', path: req.url ?? '', body, headers: req.headers });
      handle(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const allowList = (text: string): AllowList => {
  const parsed = parseAllowList(text);
  if (!parsed.ok) throw new Error(`invalid: ${parsed.invalid.join(', ')}`);
  return parsed.allow;
};
const get = (url: string, over: Partial<HttpRequest> = {}): HttpRequest => ({ url, method: 'GET', headers: {}, body: undefined, timeoutMs: 5_000, ...over });

/** Every name the guard resolved, in order; and a resolver answering from a table (a function answers per call). */
let lookups: string[] = [];
const dns =
  (table: Record<string, string[] | (() => string[])>): Resolve =>
  async (hostname) => {
    lookups.push(hostname);
    const answer = table[hostname];
    if (!answer) throw Object.assign(new Error(`test: no DNS for ${hostname}`), { code: 'ENOTFOUND' });
    return (typeof answer === 'function' ? answer() : answer).map((address) => ({ address, family: isIP(address) }));
  };

/** Sockets net created and connections undici made, counted through Node's diagnostics channels. */
const sockets = { created: 0, connected: 0 };
/** Where every connection went: only ever this machine's receivers. */
const remotes = new Set<string>();
const onSocket = () => void sockets.created++;
const onConnected = (message: unknown) => {
  sockets.connected++;
  remotes.add(String((message as { socket: { remoteAddress?: string } }).socket.remoteAddress));
};

let victim: Receiver; // 127.0.0.1: what an attacker wants to reach (e.g. the emulator's admin API)
let victim6: Receiver; // ::1
let redirector: Receiver; // 127.0.0.1, reached as hooks.example.test: answers 302 to ?to=
const opened: GuardedHttp[] = [];
const guard = (allow: AllowList, lookup?: Resolve): GuardedHttp => {
  const g = guardedHttp({ allow, ...(lookup ? { lookup } : {}) });
  opened.push(g);
  return g;
};

beforeAll(async () => {
  victim = await receiver('127.0.0.1', (req, res) => {
    if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 400);
    res.end('ok');
  });
  victim6 = await receiver('::1');
  redirector = await receiver('127.0.0.1', (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const loop = /^\/loop\/(\d+)$/.exec(u.pathname);
    res.statusCode = Number(u.searchParams.get('status') ?? 302);
    res.setHeader('location', loop ? `/loop/${Number(loop[1]) + 1}` : (u.searchParams.get('to') ?? '/'));
    res.end('moved');
  });
  subscribe('net.client.socket', onSocket);
  subscribe('undici:client:connected', onConnected);
});
afterAll(async () => {
  safetyNet.uninstall();
  unsubscribe('net.client.socket', onSocket);
  unsubscribe('undici:client:connected', onConnected);
  await Promise.all([victim.close(), victim6.close(), redirector.close()]);
});
beforeEach(() => {
  lookups = [];
  sockets.created = 0;
  sockets.connected = 0;
  remotes.clear();
  victim.got.length = 0;
  victim6.got.length = 0;
  redirector.got.length = 0;
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((g) => g.close()));
  for (const address of remotes) expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(address);
  expect(safetyNet.vetoed, 'the guard let a connection off this machine through (the safety net stopped it)').toEqual([]);
});

const HOSTILE_DNS = {
  'localhost': ['127.0.0.1', '::1'],
  'loopback.example.test': ['127.0.0.1'],
  'mapped.example.test': ['::ffff:127.0.0.1'],
  'v6.example.test': ['::1'],
  'metadata.example.test': ['169.254.169.254'],
  'private.example.test': ['10.0.0.7'],
  // One public and one loopback answer: happy eyeballs could pick either, so the name is refused.
  'mixed.example.test': ['93.184.216.34', '127.0.0.1'],
  'split.example.test': ['127.0.0.1', '10.0.0.7'],
};

describe('guardedHttp refuses closed targets before connecting (spec §9)', () => {
  it.each<[string, (port: number, port6: number) => string]>([
    ['127.0.0.1', (p) => `http://127.0.0.1:${p}/admin/reset`],
    ['localhost', (p) => `http://localhost:${p}/`],
    ['decimal 2130706433', (p) => `http://2130706433:${p}/`],
    ['hex 0x7f000001', (p) => `http://0x7f000001:${p}/`],
    ['hex parts 0x7f.1', (p) => `http://0x7f.1:${p}/`],
    ['short 127.1', (p) => `http://127.1:${p}/`],
    ['octal 0177.0.0.1', (p) => `http://0177.0.0.1:${p}/`],
    ['[::1]', (_p, p6) => `http://[::1]:${p6}/`],
    ['[::ffff:127.0.0.1]', (p) => `http://[::ffff:127.0.0.1]:${p}/`],
    ['[::ffff:7f00:1]', (p) => `http://[::ffff:7f00:1]:${p}/`],
    ['[::127.0.0.1] (IPv4-compatible)', (p) => `http://[::127.0.0.1]:${p}/`],
    ['https to 127.0.0.1', (p) => `https://127.0.0.1:${p}/`],
    ['a name resolving to 127.0.0.1', (p) => `http://loopback.example.test:${p}/`],
    ['a name resolving to ::ffff:127.0.0.1', (p) => `http://mapped.example.test:${p}/`],
    ['a name resolving to ::1', (_p, p6) => `http://v6.example.test:${p6}/`],
    ['a name resolving to a public and a loopback address', (p) => `http://mixed.example.test:${p}/`],
    ['a name with a trailing dot', (p) => `http://loopback.example.test.:${p}/`],
  ])('%s', async (_what, url) => {
    const g = guard(NO_ALLOWANCES, dns({ ...HOSTILE_DNS, 'loopback.example.test.': ['127.0.0.1'] }));
    for (const method of ['GET', 'POST']) {
      const attempt = g.http(get(url(victim.port, victim6.port), { method, body: method === 'POST' ? '{"reset":true}' : undefined }));
      await expect(attempt).rejects.toBeInstanceOf(WebhookBlockedError);
      await expect(attempt).rejects.toMatchObject({ code: 'webhook_blocked' });
    }
    expect(victim.got).toEqual([]);
    expect(victim6.got).toEqual([]);
    expect(sockets.connected).toBe(0);
  });

  it('refuses localhost as the system resolver answers it (/etc/hosts)', async () => {
    await expect(guard(NO_ALLOWANCES).http(get(`http://localhost:${victim.port}/`))).rejects.toMatchObject({ code: 'webhook_blocked' });
    expect(victim.got).toEqual([]);
    expect(sockets.connected).toBe(0);
  });

  it.each(['http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'http://0xa9fea9fe/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[fe80::1]/', 'http://10.0.0.7/', 'http://100.64.0.1/', 'http://0.0.0.0/', 'http://[::]/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[fd00::1]/'])(
    '%s: refused without a lookup or even a socket',
    async (url) => {
      const g = guard(NO_ALLOWANCES, dns({}));
      await expect(g.http(get(url))).rejects.toMatchObject({ code: 'webhook_blocked' });
      expect(lookups).toEqual([]);
      expect(sockets).toEqual({ created: 0, connected: 0 });
    },
  );

  it('a name resolving to the metadata address or a private one is refused without connecting', async () => {
    const g = guard(NO_ALLOWANCES, dns(HOSTILE_DNS));
    await expect(g.http(get('http://metadata.example.test/latest/meta-data/'))).rejects.toThrow('webhook to metadata.example.test refused: it resolves to 169.254.169.254, a link-local address');
    await expect(g.http(get('http://private.example.test:8080/'))).rejects.toThrow('webhook to private.example.test refused: it resolves to 10.0.0.7, a private address');
    expect(lookups).toEqual(['metadata.example.test', 'private.example.test']);
    expect(sockets.connected).toBe(0);
  });

  it.each(['ftp://127.0.0.1/x', 'file:///etc/passwd', 'gopher://127.0.0.1:70/', 'data:text/plain,hi', 'ws://hooks.example.test/'])('only http and https: %s is refused', async (url) => {
    await expect(guard(NO_ALLOWANCES, dns({})).http(get(url))).rejects.toMatchObject({ code: 'webhook_blocked' });
    expect(sockets.created).toBe(0);
  });

  it('names the host, never the path or query', async () => {
    const error = await guard(NO_ALLOWANCES).http(get(`http://127.0.0.1:${victim.port}/users/ann@example.com?token=s3cr3t`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookBlockedError);
    expect((error as Error).message).toBe('webhook to 127.0.0.1 refused: 127.0.0.1 is a loopback address');
  });
});

describe('redirects: each hop is checked like the first', () => {
  // hooks.example.test is the user's receiver, opened by name (it happens to live on 127.0.0.1 here).
  const trusted = () => allowList(`hooks.example.test:${redirector.port}`);
  const dnsToRedirector = () => dns({ ...HOSTILE_DNS, 'hooks.example.test': ['127.0.0.1'] });
  const via = (to: string, status = 302) => `http://hooks.example.test:${redirector.port}/go?status=${status}&to=${encodeURIComponent(to)}`;

  it.each<[string, () => string]>([
    ['127.0.0.1', () => `http://127.0.0.1:${victim.port}/admin/reset`],
    ['localhost', () => `http://localhost:${victim.port}/`],
    ['decimal', () => `http://2130706433:${victim.port}/`],
    ['[::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${victim.port}/`],
    ['a name resolving to loopback', () => `http://loopback.example.test:${victim.port}/`],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a relative Location on another port of the same closed host', () => `//127.0.0.1:${victim.port}/`],
    ['another scheme', () => 'file:///etc/passwd'],
  ])('a 3xx to %s is refused and the target gets nothing', async (_what, to) => {
    const g = guard(trusted(), dnsToRedirector());
    for (const status of [301, 302, 303, 307, 308]) {
      await expect(g.http(get(via(to(), status), { method: 'POST', body: '{}' }))).rejects.toMatchObject({ code: 'webhook_blocked' });
    }
    expect(redirector.got).toHaveLength(5);
    expect(victim.got).toEqual([]);
  });

  it('an opened target is followed: 302 after POST becomes a GET without body, 307 keeps both; credentials stay with the first origin', async () => {
    const g = guard(allowList(`hooks.example.test:${redirector.port}, 127.0.0.1:${victim.port}`), dnsToRedirector());
    const post = (status: number) => get(via(`http://127.0.0.1:${victim.port}/landed`, status), { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', authorization: 'Bearer receiver-secret', 'x-hook': 'kept' } });
    expect(await g.http(post(302))).toEqual({ status: 200 });
    expect(await g.http(post(307))).toEqual({ status: 200 });
    expect(victim.got.map((r) => [r.method, r.path, r.body])).toEqual([
      ['GET', '/landed', ''],
      ['POST', '/landed', '{"a":1}'],
    ]);
    for (const r of victim.got) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers['x-hook']).toBe('kept');
    }
    expect(redirector.got[0]!.headers.authorization).toBe('Bearer receiver-secret');
  });

  it('follows at most 3 redirects, then answers the last 3xx', async () => {
    const g = guard(trusted(), dnsToRedirector());
    expect(await g.http(get(`http://hooks.example.test:${redirector.port}/loop/0`))).toEqual({ status: 302 });
    expect(redirector.got.map((r) => r.path)).toEqual(['/loop/0', '/loop/1', '/loop/2', '/loop/3']);
  });

  it('one timeout covers the whole call, redirects included', async () => {
    const g = guard(allowList(`hooks.example.test:${redirector.port}, 127.0.0.1:${victim.port}`), dnsToRedirector());
    const error = await g.http(get(via(`http://127.0.0.1:${victim.port}/slow`), { timeoutMs: 150 })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
  });
});

describe('DNS rebinding: the address checked is the address connected to', () => {
  it('a name that answers public to a check and loopback at connect time is refused at connect time', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    const g = guard(NO_ALLOWANCES, dns({ 'rebind.example.test': () => answers.shift() ?? ['127.0.0.1'] }));
    const url = `http://rebind.example.test:${victim.port}/admin/reset`;
    // A guard that checked the name and then let the socket resolve it again would now connect to 127.0.0.1.
    expect(await g.check(url)).toBeNull();
    await expect(g.http(get(url))).rejects.toMatchObject({ code: 'webhook_blocked' });
    expect(lookups).toEqual(['rebind.example.test', 'rebind.example.test']);
    expect(victim.got).toEqual([]);
    expect(sockets.connected).toBe(0);
  });

  it('the socket connects to the answer the guard checked, resolved once (the name exists in no real DNS)', async () => {
    const g = guard(allowList('127.0.0.1/32'), dns({ 'pinned.example.test': ['127.0.0.1'] }));
    expect(await g.http(get(`http://pinned.example.test:${victim.port}/pinned`))).toEqual({ status: 200 });
    expect(victim.got.map((r) => [r.path, r.headers.host])).toEqual([['/pinned', `pinned.example.test:${victim.port}`]]);
    expect(lookups).toEqual(['pinned.example.test']);
  });
});

describe('COHORT_WEBHOOK_ALLOW_HOSTS opens exactly what it names', () => {
  it.each<[string, (port: number) => string, (port: number) => string]>([
    ['a CIDR, for the literal address', () => '127.0.0.1/32', (p) => `http://127.0.0.1:${p}/`],
    ['a CIDR, for another spelling of it', () => '127.0.0.0/8', (p) => `http://2130706433:${p}/`],
    ['a CIDR, for a name resolving into it', () => '127.0.0.1/32', (p) => `http://loopback.example.test:${p}/`],
    ['a CIDR, for the mapped form', () => '127.0.0.1/32', (p) => `http://[::ffff:127.0.0.1]:${p}/`],
    ['host:port', (p) => `127.0.0.1:${p}`, (p) => `http://127.0.0.1:${p}/`],
    ['a host name', () => 'loopback.example.test', (p) => `http://LOOPBACK.example.test:${p}/`],
    ['host:port by name', (p) => `localhost:${p}`, (p) => `http://localhost:${p}/`],
  ])('%s', async (_what, entry, url) => {
    const g = guard(allowList(entry(victim.port)), dns(HOSTILE_DNS));
    expect(await g.http(get(url(victim.port)))).toEqual({ status: 200 });
    expect(victim.got).toHaveLength(1);
  });

  it('[::1] through ::1/128 or [::1]:port', async () => {
    for (const entry of ['::1/128', `[::1]:${victim6.port}`]) {
      expect(await guard(allowList(entry)).http(get(`http://[::1]:${victim6.port}/`))).toEqual({ status: 200 });
    }
    expect(victim6.got).toHaveLength(2);
  });

  it.each<[string, (port: number) => string, (port: number) => string]>([
    ['host:port on another port', (p) => `127.0.0.1:${p + 1}`, (p) => `http://127.0.0.1:${p}/`],
    ['a host name, for another name with the same address', () => 'loopback.example.test', (p) => `http://localhost:${p}/`],
    ['a host name, for a subdomain', () => 'example.test', (p) => `http://loopback.example.test:${p}/`],
    ['a v4 range, for ::1', () => '127.0.0.1/32', (p) => `http://v6.example.test:${p}/`],
    ['a range, for a name with one answer outside it', () => '127.0.0.1/32', (p) => `http://split.example.test:${p}/`],
  ])('and nothing else: %s', async (_what, entry, url) => {
    const g = guard(allowList(entry(victim.port)), dns(HOSTILE_DNS));
    await expect(g.http(get(url(victim.port)))).rejects.toMatchObject({ code: 'webhook_blocked' });
    expect(victim.got).toEqual([]);
  });
});

describe('check: what a launch warns about, without connecting', () => {
  it('refuses closed literals and names resolving to closed addresses; allows public, opened and unknown ones', async () => {
    const g = guard(allowList('opened.example.test'), dns({ ...HOSTILE_DNS, 'public.example.test': ['93.184.216.34'], 'opened.example.test': ['10.1.1.1'] }));
    expect((await g.check('http://127.0.0.1/x'))?.message).toBe('webhook to 127.0.0.1 refused: 127.0.0.1 is a loopback address');
    expect((await g.check('https://[::ffff:169.254.169.254]/'))?.code).toBe('webhook_blocked');
    expect((await g.check('https://metadata.example.test/'))?.code).toBe('webhook_blocked');
    expect((await g.check('https://mixed.example.test/'))?.code).toBe('webhook_blocked');
    expect(await g.check('https://public.example.test/hook')).toBeNull();
    expect(await g.check('https://opened.example.test/hook')).toBeNull();
    expect(await g.check('https://unknown.example.test/hook')).toBeNull();
    expect(await g.check('not a url')).toBeNull();
    expect(sockets).toEqual({ created: 0, connected: 0 });
  });
});
