/** How the emulator reads JSON request bodies. */
import { isAscii } from 'node:buffer';
import type { FastifyError, FastifyInstance } from 'fastify';

/** "Request bodies up to 10 MB accepted" (spec §6): a full 10,000-row, 4-schema mapping is about 4.5 MB. */
export const BODY_LIMIT = 10 * 1024 * 1024;

/**
 * Replaces the JSON parser of `app`'s scope. Plain JSON.parse (mapping bodies are megabytes); an empty body
 * reads as "no body" rather than an error. An all-ASCII body (every mapping body: hex and digits) is read as
 * Latin-1, which is the same text for ASCII and copies bytes instead of decoding UTF-8 (that decoding was
 * 2.9 s of the emulator's 1M benchmark). `readFirst` may take the bytes itself (the mapping route's reader);
 * what it returns is the body, unless undefined.
 */
export function useJsonParser(app: FastifyInstance, readFirst?: (bytes: Buffer) => unknown): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const bytes = body as Buffer;
    const read = readFirst?.(bytes);
    if (read !== undefined) return done(null, read);
    const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      const err = new Error(`invalid JSON (${(e as Error).message})`) as FastifyError;
      err.statusCode = 400;
      done(err, undefined);
    }
  });
}
