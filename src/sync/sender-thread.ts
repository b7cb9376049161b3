/**
 * `cohort serve` runs the sender on its own thread. During a big launch the journey worker keeps the
 * main thread busy; on that thread the sender's reads, settles and request bodies were ~30% of the
 * work (CPU profile, 1M-user bench) while the second core sat mostly idle. The thread has its own
 * store connection (SQLite WAL: reads never wait, writes take turns; PostgreSQL: its own pool) and its
 * own TikTok client; what it reports comes back as SenderEvents for metrics and logs.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../core/ts-worker.ts';
import type { ConnectionLogger } from './connections.ts';
import type { Sender, SenderEvent } from './sender.ts';

/** Everything the thread needs to build its sender; plain data (it crosses the thread boundary). */
export interface SenderThreadInit {
  databaseUrl: string;
  apiBase: string;
  authUrl: string;
  appId: string;
  appSecret: string;
  emulator: boolean;
  /** The token key (hex): tokens are decrypted in the thread. Never logged. */
  tokenKeyHex: string;
  retryWindowMs: number;
}

/** Messages from the thread. An `error` event carries the error's message: an Error does not cross threads as itself. */
export type FromSenderThread =
  | { kind: 'event'; event: SenderEvent }
  | { kind: 'log'; level: keyof ConnectionLogger; fields: object; message: string }
  | { kind: 'stopped' };

export function threadSender(init: SenderThreadInit, p: { onEvent: (e: SenderEvent) => void; logger: ConnectionLogger }): Sender {
  let worker: Worker | null = null;
  let stopped: Promise<void> | null = null;
  const notOnThread = () => Promise.reject(new Error('drain and expireOnce run on an in-process sender (tests), not on the sender thread'));
  return {
    start() {
      const w = startTsWorker(new URL('./sender-thread-main.ts', import.meta.url), init);
      worker = w;
      w.on('message', (m: FromSenderThread) => {
        if (m.kind === 'event') p.onEvent(m.event);
        else if (m.kind === 'log') p.logger[m.level](m.fields, m.message);
      });
      w.on('error', (error) => p.onEvent({ kind: 'error', error }));
      w.postMessage('start');
    },
    wake() {
      worker?.postMessage('wake');
    },
    stop() {
      const w = worker;
      if (!w) return Promise.resolve();
      stopped ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => void w.terminate().then(() => resolve()), 15_000);
        w.on('message', (m: FromSenderThread) => {
          if (m.kind !== 'stopped') return;
          clearTimeout(timer);
          void w.terminate().then(() => resolve());
        });
        w.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        w.postMessage('stop');
      });
      return stopped;
    },
    drain: notOnThread,
    expireOnce: notOnThread,
  };
}
