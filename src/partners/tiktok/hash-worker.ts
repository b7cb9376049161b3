/** The hash pool's worker thread (hash-pool.ts): one request (a JSON string), one answer (a digest table's buffers, transferred). */
import { parentPort } from 'node:worker_threads';
import type { HashAnswer } from './hash-pool.ts';
import { hashTable, type IdentifierField } from './identifiers.ts';

type Row = [string | null, string | null, string | null, string | null, string | null];

parentPort!.on('message', (m: { id: number; rows: string; fields: IdentifierField[]; defaultCountry: string | null }) => {
  const rows = JSON.parse(m.rows) as Row[];
  const table = hashTable(rows.map(([email, phone, idfa, gaid, country]) => ({ email, phone, idfa, gaid, country })), m.fields, m.defaultCountry, true);
  // Both buffers are the table's own (transferable): handed over, not copied.
  const answer: HashAnswer = { id: m.id, bytes: table.bytes.buffer as ArrayBuffer, length: table.bytes.length, at: table.at.buffer as ArrayBuffer };
  parentPort!.postMessage(answer, [answer.bytes, answer.at]);
});
parentPort!.postMessage('ready');
