/** Webhook receivers over real HTTP on 127.0.0.1: one that answers at once, one that holds its answers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  body: string;
}

export interface Receiver {
  url: string;
  seen: Received[];
  /** Requests being held now (a holding receiver). */
  held(): number;
  /** The most requests it held at once. */
  peakHeld(): number;
  /** Answers every held request with `status`. */
  release(status?: number): void;
  close(): Promise<void>;
}

/**
 * `answer(req)`: a status to answer with at once, or 'hold' to keep the request open until
 * `release()` or `holdMs` (then 200, as a slow receiver finally would).
 */
export async function startReceiver(answer: (r: Received) => number | 'hold' = () => 200, holdMs = 60_000): Promise<Receiver> {
  const seen: Received[] = [];
  const holding = new Set<{ res: ServerResponse; timer: NodeJS.Timeout }>();
  let peak = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', body };
      seen.push(r);
      const a = answer(r);
      if (a !== 'hold') {
        res.statusCode = a;
        return void res.end('ok');
      }
      const h = { res, timer: setTimeout(() => finish(h, 200), holdMs) };
      holding.add(h);
      peak = Math.max(peak, holding.size);
      // A caller that gives up (its timeout) closes the socket: no longer held.
      res.on('close', () => holding.delete(h));
    });
  });
  const finish = (h: { res: ServerResponse; timer: NodeJS.Timeout }, status: number) => {
    clearTimeout(h.timer);
    holding.delete(h);
    if (!h.res.writableEnded) {
      h.res.statusCode = status;
      h.res.end('late');
    }
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    held: () => holding.size,
    peakHeld: () => peak,
    release: (status = 200) => {
      for (const h of [...holding]) finish(h, status);
    },
    close: async () => {
      for (const h of [...holding]) finish(h, 200);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
