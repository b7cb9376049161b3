/**
 * The `cursor` of a paged list (`GET /api/canvases`, spec §4): opaque to callers, it is the position
 * of the last item of the page before (its creation time and id) as base64url JSON. A position, not
 * an offset, so pages stay right while canvases are created: nothing is skipped or shown twice.
 */
import { ValidationError } from '../core/errors.ts';
import type { CanvasPosition } from '../store/port.ts';

/** Longer than any cursor this module writes (ids are at most 255 characters). */
export const MAX_CURSOR_LENGTH = 512;

export function encodeCursor(p: CanvasPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id]), 'utf8').toString('base64url');
}

/** The position a cursor names; a 400 for anything this module did not write. */
export function decodeCursor(cursor: string): CanvasPosition {
  const bad = () => new ValidationError('invalid_cursor', 'cursor is not one this API gave (take next_cursor from the page before, or leave it out for the first page)');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(value) || value.length !== 2) throw bad();
  const [createdAt, id] = value as unknown[];
  if (!Number.isSafeInteger(createdAt) || (createdAt as number) < 0) throw bad();
  if (typeof id !== 'string' || id.length === 0 || id.length > 255 || id.includes('\u0000')) throw bad();
  return { createdAt: createdAt as number, id };
}
