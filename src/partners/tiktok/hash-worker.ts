/** The hash pool's worker thread (hash-pool.ts): one request, one answer, both a single string. */
import { parentPort } from 'node:worker_threads';
import { encodeHashes } from './hash-pool.ts';
import { hashProfileIdentifiers, type IdentifierField } from './identifiers.ts';

type Row = [string | null, string | null, string | null, string | null, string | null];

parentPort!.on('message', (m: { id: number; rows: string; fields: IdentifierField[]; defaultCountry: string | null }) => {
  const rows = JSON.parse(m.rows) as Row[];
  const hashed = rows.map(([email, phone, idfa, gaid, country]) => hashProfileIdentifiers({ email, phone, idfa, gaid, country }, m.fields, m.defaultCountry).hashes);
  parentPort!.postMessage({ id: m.id, hashes: encodeHashes(hashed, m.fields) });
});
parentPort!.postMessage('ready');
