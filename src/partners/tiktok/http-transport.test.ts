import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTikTokClient } from './client.ts';
import { classifyNetworkFailure } from './errors.ts';
import { nodeTransport } from './http-transport.ts';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

/** A local server answering with `handle`; resolves with its base URL. */
async function serve(handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => handle(req, Buffer.concat(parts), res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('nodeTransport', () => {
  it('sends the bytes, method and headers as given and reads the answer as UTF-8', async () => {
    const seen: { method?: string; type?: string; length?: string; token?: string; body?: Buffer } = {};
    const base = await serve((req, body, res) => {
      Object.assign(seen, { method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], token: req.headers['access-token'], body });
      res.writeHead(200, { 'content-type': 'application/json' });
      // A multi-byte character split across two writes must still decode.
      const answer = Buffer.from(JSON.stringify({ code: 0, message: 'Ünïcødé ✓', data: {} }));
      res.write(answer.subarray(0, 22));
      res.end(answer.subarray(22));
    });
    const bytes = new Uint8Array(3_000_000).fill(0x61);
    const answer = await nodeTransport()(new URL(`${base}/x/`), { method: 'POST', headers: { 'content-type': 'application/json', 'access-token': 'tok' }, body: bytes, timeoutMs: 5_000 });
    expect(answer).toEqual({ status: 200, text: JSON.stringify({ code: 0, message: 'Ünïcødé ✓', data: {} }) });
    expect(seen).toMatchObject({ method: 'POST', type: 'application/json', length: '3000000', token: 'tok' });
    expect(seen.body!.equals(Buffer.from(bytes))).toBe(true);
  });

  it('a stalled answer is a timeout, also when only part of the body came', async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"code":0,'); // …and never ends
    });
    const error = await nodeTransport()(new URL(`${base}/`), { method: 'GET', headers: {}, timeoutMs: 150 }).catch((e: unknown) => e);
    expect(classifyNetworkFailure(error)).toMatchObject({ kind: 'transient', reason: 'timeout' });
  });

  it('a connection cut mid-answer is a network failure, not a success', async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await nodeTransport()(new URL(`${base}/`), { method: 'GET', headers: {}, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(classifyNetworkFailure(error)).toMatchObject({ kind: 'transient', reason: 'network_error' });
  });

  it('keeps the connection for the next request', async () => {
    const ports = new Set<number>();
    const base = await serve((req, _body, res) => {
      ports.add(req.socket.remotePort!);
      res.end('{"code":0,"message":"OK","data":{}}');
    });
    const send = nodeTransport();
    for (let i = 0; i < 3; i++) expect((await send(new URL(`${base}/`), { method: 'GET', headers: {}, timeoutMs: 5_000 })).status).toBe(200);
    expect(ports.size).toBe(1);
  });

  it("through the client, a 502 page and a cut connection are transient failures the sender retries", async () => {
    let calls = 0;
    const base = await serve((_req, _body, res) => {
      if (++calls === 1) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>502 Bad Gateway</html>');
      } else res.socket?.destroy();
    });
    const client = createTikTokClient({ apiBase: base, appId: 'app', appSecret: 'secret', timeoutMs: 2_000 });
    const first = await client.mapping('tok', new Uint8Array(Buffer.from('{"batch_data":[]}')));
    expect(first).toMatchObject({ ok: false, failure: { kind: 'transient', reason: 'http_502', httpStatus: 502 } });
    const second = await client.mapping('tok', new Uint8Array(Buffer.from('{"batch_data":[]}')));
    expect(second).toMatchObject({ ok: false, failure: { kind: 'transient', reason: 'network_error', httpStatus: null } });
  });
});
