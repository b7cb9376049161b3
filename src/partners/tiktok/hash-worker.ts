/** The hash pool's worker thread (hash-pool.ts): one request (identifier-rows text), one answer (a digest table's buffers, transferred). */
import { parentPort } from 'node:worker_threads';
import { identifierObjects } from '../../core/identifier-rows.ts';
import type { HashAnswer } from './hash-pool.ts';
import { hashTable, type IdentifierField } from './identifiers.ts';

parentPort!.on('message', (m: { id: number; rows: string; fields: IdentifierField[]; defaultCountry: string | null }) => {
  const table = hashTable(identifierObjects(m.rows), m.fields, m.defaultCountry, true);
  // Both buffers are the table's own (transferable): handed over, not copied.
  const answer: HashAnswer = { id: m.id, bytes: table.bytes.buffer as ArrayBuffer, length: table.bytes.length, at: table.at.buffer as ArrayBuffer };
  parentPort!.postMessage(answer, [answer.bytes, answer.at]);
});
parentPort!.postMessage('ready');
