/** The sender thread's entry (sender-thread.ts): builds a sender like src/main.ts does, on its own store connection. */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../core/clock.ts';
import { createTikTokClient } from '../partners/tiktok/client.ts';
import { createStore } from '../store/index.ts';
import { createConnectionService, type ConnectionLogger } from './connections.ts';
import { defaultRetryPolicy } from './retry.ts';
import { createSender, type SenderEvent } from './sender.ts';
import type { FromSenderThread, SenderThreadInit } from './sender-thread.ts';
import { createTokenCipher } from './token-cipher.ts';

const init = workerData as SenderThreadInit;
const port = parentPort!;
const post = (m: FromSenderThread) => port.postMessage(m);
const logger: ConnectionLogger = {
  info: (fields, message) => post({ kind: 'log', level: 'info', fields, message }),
  warn: (fields, message) => post({ kind: 'log', level: 'warn', fields, message }),
  error: (fields, message) => post({ kind: 'log', level: 'error', fields, message }),
};
// An Error does not cross a thread boundary as itself: send its message.
const plain = (e: SenderEvent): SenderEvent => (e.kind === 'error' ? { kind: 'error', error: e.error instanceof Error ? e.error.message : String(e.error) } : e);

const store = await createStore(init.databaseUrl);
const clock = systemClock();
const client = createTikTokClient({ apiBase: init.apiBase, appId: init.appId, appSecret: init.appSecret });
const connections = createConnectionService({ store, clock, client, cipher: createTokenCipher(Buffer.from(init.tokenKeyHex, 'hex')), publicUrl: '', authUrl: init.authUrl, appId: init.appId, emulator: init.emulator, logger });
const sender = createSender({ store, clock, client, tokens: connections, policy: defaultRetryPolicy(init.retryWindowMs), onEvent: (e) => post({ kind: 'event', event: plain(e) }) });

port.on('message', (m: 'start' | 'wake' | 'stop') => {
  if (m === 'start') sender.start();
  else if (m === 'wake') sender.wake();
  else
    void sender
      .stop()
      .then(() => store.close())
      .finally(() => post({ kind: 'stopped' }));
});
