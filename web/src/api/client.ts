/**
 * The dashboard's only way to the server: the same HTTP API scripts use (spec §4, §8), authenticated by
 * the session cookie. Requests that change state carry the session's CSRF token; errors arrive as
 * ApiError with the API's stable code and message, so pages can show TikTok's words as they are.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The error body's extra fields (e.g. launch refusals' `reasons`). */
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken: string | null = null;

/** Set from GET /api/session (and every answer that signs in); cleared on sign-out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE = new Set(['GET', 'HEAD']);

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page, say: say what happened rather than fail on parsing it.
    throw new ApiError(res.status, 'bad_answer', `The server answered ${res.status} ${res.statusText} without JSON.`);
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } & Record<string, unknown> } | null)?.error;
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The server answered ${res.status}.`, error ?? {});
  }
  return parsed as T;
}

/** A path segment from a user value (an external id, say): always percent-encoded. */
export const seg = (value: string): string => encodeURIComponent(value);
