/**
 * How the client's requests travel: one exchange in, the status and body text out. The default is
 * node:http(s) with a keep-alive agent. `fetch` copied every mapping body (up to ~3.5 MB) into a new
 * buffer and wrote it through a stream (undici's extractBody/writeIterable): 30 posts of 3.3 MB took
 * 300–590 ms of CPU against 58–116 ms for node:http (DEVELOPERS.md), on the cores a launch shares.
 * Errors carry the names errors.ts classifies: a timeout rejects with the AbortSignal's
 * `TimeoutError`, anything else with the socket's error (a network failure). Tests hand the client
 * a transport of their own.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpExchange {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs: number;
}
export interface HttpAnswer {
  status: number;
  text: string;
}
export type HttpTransport = (url: URL, exchange: HttpExchange) => Promise<HttpAnswer>;

/** node:http(s), connections kept alive between requests (the sender posts to one host all day). */
export function nodeTransport(): HttpTransport {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
  return (url, exchange) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') return reject(new TypeError(`unsupported protocol ${url.protocol}`));
      const signal = AbortSignal.timeout(exchange.timeoutMs);
      // An abort names its reason (TimeoutError); any other failure is the socket's own error.
      const failed = (error: unknown) => reject(signal.aborted ? signal.reason : error);
      const body = typeof exchange.body === 'string' ? Buffer.from(exchange.body) : exchange.body;
      const headers = body === undefined ? exchange.headers : { ...exchange.headers, 'content-length': String(body.byteLength) };
      const request = (secure ? https : http).request(url, { method: exchange.method, headers, agent: agents[url.protocol as 'http:' | 'https:'], signal }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('error', failed);
        response.on('aborted', () => failed(new Error('the response was cut off')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      });
      request.on('error', failed);
      request.end(body);
    });
}
