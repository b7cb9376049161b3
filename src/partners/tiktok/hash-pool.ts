/**
 * Identifier hashing for many users at once, on a worker thread when the machine has a core to spare
 * (issue #5: "hashing spread over every core"). A launch hashes 10,000 users a chunk; while a worker
 * hashes them, the main thread runs the sender and SQLite. A chunk goes over as one JSON text
 * (core/identifier-rows.ts; a launch reads it so from the database) and comes back as a table of digest
 * bytes (core/digest-rows.ts), its buffers transferred, not copied: nothing is allocated per user on
 * the way, and no digest is turned into hex.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { DigestTable } from '../../core/digest-rows.ts';
import { identifierObjects, identifierRowsText, type IdentifierValues } from '../../core/identifier-rows.ts';
import { startTsWorker } from '../../core/ts-worker.ts';
import { hashTable, type IdentifierField } from './identifiers.ts';

/** What hashing reads from a profile. */
export type IdentifierInput = IdentifierValues;

export interface IdentifierHasher {
  /** The usable hashes of each input, one row each in order (the digests hashProfileIdentifiers gives as hex). */
  hashMany(inputs: readonly IdentifierInput[], fields: readonly IdentifierField[], defaultCountry: string | null): Promise<DigestTable>;
  /** `hashMany` for `count` rows given as identifier-rows text (core/identifier-rows.ts). */
  hashRows(rows: string, count: number, fields: readonly IdentifierField[], defaultCountry: string | null): Promise<DigestTable>;
  /** Resolves once every thread has loaded (until then hashMany answers inline). */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** Hashes on the calling thread (tests, one-core machines). */
export function inlineHasher(): IdentifierHasher {
  return {
    hashMany: async (inputs, fields, defaultCountry) => hashTable(inputs, fields, defaultCountry),
    hashRows: async (rows, _count, fields, defaultCountry) => hashTable(identifierObjects(rows), fields, defaultCountry),
    warm: async () => undefined,
    close: async () => undefined,
  };
}

/** A worker's answer: the table's buffers, transferred. */
export interface HashAnswer {
  id: number;
  bytes: ArrayBuffer;
  length: number;
  at: ArrayBuffer;
}

interface Job {
  resolve: (v: DigestTable) => void;
  reject: (e: Error) => void;
  count: number;
  fields: readonly IdentifierField[];
}

/**
 * One worker thread per spare core (at least one); jobs go round-robin. A worker that fails takes its
 * jobs down with an error and the hasher answers inline from then on, so a launch never stalls on it.
 */
export function threadHasher(threads = Math.max(1, availableParallelism() - 1)): IdentifierHasher {
  const workers: { worker: Worker; jobs: Map<number, Job> }[] = [];
  const fallback = inlineHasher();
  let broken = false;
  let nextId = 0;
  let turn = 0;
  let ready = 0;
  const whenReady: (() => void)[] = [];
  // Started by warm() or on first use (a process that never hashes never pays for the threads, ~80 MB).
  // Until a thread has loaded (~0.3 s) chunks are hashed inline, so a small launch does not wait for it.
  function start(): void {
    for (let i = 0; i < threads; i++) {
      const worker = startTsWorker(new URL('./hash-worker.ts', import.meta.url));
      worker.unref(); // never keeps the process alive
      const slot = { worker, jobs: new Map<number, Job>() };
      worker.on('message', (m: HashAnswer | 'ready') => {
        if (m === 'ready') {
          if (++ready === workers.length) for (const resolve of whenReady.splice(0)) resolve();
          return;
        }
        const job = slot.jobs.get(m.id);
        if (!job) return;
        slot.jobs.delete(m.id);
        const at = new Int32Array(m.at);
        if (at.length !== job.count * job.fields.length) job.reject(new Error('hash worker answer does not match its request'));
        else job.resolve({ bytes: new Uint8Array(m.bytes, 0, m.length), at, fields: job.fields });
      });
      const fail = (e: unknown) => {
        broken = true;
        for (const job of slot.jobs.values()) job.reject(e instanceof Error ? e : new Error(String(e)));
        slot.jobs.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => code !== 0 && fail(new Error(`hash worker exited with ${code}`)));
      workers.push(slot);
    }
  }
  /** Whether `count` rows are hashed inline: nothing to send, or no thread loaded (starting them on first use). */
  const inline = (count: number): boolean => {
    if (workers.length === 0) start();
    return broken || ready < workers.length || count === 0;
  };
  const hashRows: IdentifierHasher['hashRows'] = (rows, count, fields, defaultCountry) => {
    if (inline(count)) return fallback.hashRows(rows, count, fields, defaultCountry);
    const slot = workers[turn++ % workers.length]!;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject, count, fields });
      slot.worker.postMessage({ id, rows, fields, defaultCountry });
    });
  };
  return {
    hashMany(inputs, fields, defaultCountry) {
      // Inline, the objects are hashed as they are (no text made only to be parsed again).
      if (inline(inputs.length)) return fallback.hashMany(inputs, fields, defaultCountry);
      return hashRows(identifierRowsText(inputs), inputs.length, fields, defaultCountry);
    },
    hashRows,
    warm() {
      if (workers.length === 0) start();
      return ready === workers.length ? Promise.resolve() : new Promise((resolve) => whenReady.push(resolve));
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
