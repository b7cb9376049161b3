/**
 * API keys: shown once at creation, stored as SHA-256 (a key is 32 random bytes, so a plain hash is
 * not guessable and lets the lookup be one indexed equality). `Authorization: Bearer <key>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/port.ts';
import { UnauthorizedError } from './errors.ts';

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
export const newApiKey = (): string => `ck_${randomBytes(32).toString('base64url')}`;

/** Resolves the request's workspace from its Bearer key, or throws 401. */
export async function authenticate(req: FastifyRequest, store: Store): Promise<string> {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw new UnauthorizedError('unauthorized', 'send the workspace API key as "Authorization: Bearer <key>"');
  const workspaceId = await store.findWorkspaceIdByKeyHash(hashApiKey(match[1]!));
  if (!workspaceId) throw new UnauthorizedError('unauthorized', 'the API key is not valid');
  return workspaceId;
}
