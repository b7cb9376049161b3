/**
 * API keys: shown once at creation, stored as SHA-256 (a key is 32 random bytes, so a plain hash is
 * not guessable and lets the lookup be one indexed equality). `Authorization: Bearer <key>`.
 * Every request looks its key up in the store (no cache), so a revoked key (a deleted row) gets 401
 * on the very next request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/port.ts';
import { UnauthorizedError } from './errors.ts';

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
export const newApiKey = (): string => `ck_${randomBytes(32).toString('base64url')}`;

/** "Last used" is written at most this often per key. */
export const LAST_USED_EVERY_MS = 60_000;
/** Past this many remembered keys, the ones written over a minute ago are forgotten (the row has their time). */
const REMEMBERED_KEYS = 1_000;

export interface ApiKeyAuth {
  /** Resolves the request's workspace and key id from its Bearer key, or throws 401; records the key's last use (at most once a minute). */
  authenticate(req: FastifyRequest): Promise<{ workspaceId: string; keyId: string }>;
}

export function createApiKeyAuth({ store, clock }: { store: Store; clock: Clock }): ApiKeyAuth {
  // Key id → when this process last wrote its last_used_at. Ingest can be thousands of requests a
  // second on one key, so "Last used" must not be a write per request: a key is written when its
  // last use on record (the row's, or this map's) is a minute old or more. The map is set before the
  // write, so concurrent requests of one key write once; the row's own time covers other processes
  // and restarts, and the UPDATE never moves the time back.
  const written = new Map<string, number>();
  return {
    async authenticate(req) {
      const header = req.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw new UnauthorizedError('unauthorized', 'send the workspace API key as "Authorization: Bearer <key>"');
      const key = await store.findApiKeyByHash(hashApiKey(match[1]!));
      if (!key) throw new UnauthorizedError('unauthorized', 'the API key is not valid');
      const now = clock.now();
      const last = Math.max(written.get(key.id) ?? -Infinity, key.lastUsedAt ?? -Infinity);
      if (now - last >= LAST_USED_EVERY_MS) {
        if (written.size >= REMEMBERED_KEYS) for (const [id, at] of written) if (now - at >= LAST_USED_EVERY_MS) written.delete(id);
        written.set(key.id, now);
        try {
          await store.touchApiKey(key.id, now);
        } catch (error) {
          // "Last used" is informational: a failed write must not fail the request it describes.
          req.log.warn({ err: { message: error instanceof Error ? error.message : String(error) }, apiKeyId: key.id }, 'api key last use not recorded');
        }
      }
      return { workspaceId: key.workspaceId, keyId: key.id };
    },
  };
}
