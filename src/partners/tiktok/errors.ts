/**
 * The only place a TikTok answer is interpreted. `classify` reads the body `code` first (TikTok sends
 * business errors, rate limits and bad tokens as HTTP 200), then the HTTP status, then a default row.
 * Each kind has one consumer in sync/:
 *   ok                  — done
 *   rate_limited        — wait and slow down; never spends an attempt
 *   transient           — back off and retry inside the retry window
 *   invalid_token       — the connection needs re-authorisation; items park until reconnect
 *   permission          — the token may not act on this advertiser (also needs the admin)
 *   audience_not_found  — the audience is gone; its items error at once (after confirming with a get)
 *   bad_request         — the request itself is wrong; retrying cannot help
 * Codes and their sources: reference tiktok-marketing-api.md §5.3.
 */
export type FailureKind = 'rate_limited' | 'transient' | 'invalid_token' | 'permission' | 'audience_not_found' | 'bad_request';
export type Classification = { kind: 'ok' } | { kind: FailureKind; reason: string };

const row = (kind: FailureKind, reason: string): Classification => ({ kind, reason });

/** Every code of reference §5.3. `reason` is a stable snake_case string users see on errored items. */
export const BY_CODE: Readonly<Record<number, Classification>> = {
  0: { kind: 'ok' },
  20001: { kind: 'ok' }, // partial success (Events API); never sent by the audience endpoints
  40001: row('permission', 'no_permission'),
  40002: row('bad_request', 'invalid_parameter'),
  40007: row('audience_not_found', 'audience_not_found'),
  40016: row('rate_limited', 'tiktok_rate_limited'),
  40067: row('bad_request', 'query_too_large'),
  40100: row('rate_limited', 'tiktok_rate_limited'),
  40101: row('bad_request', 'invalid_app_credentials'), // sources conflict; never retried, surfaced to the admin
  40102: row('rate_limited', 'tiktok_rate_limited'),
  40104: row('invalid_token', 'token_missing'),
  40105: row('invalid_token', 'token_revoked'),
  40110: row('invalid_token', 'invalid_auth_code'),
  40132: row('rate_limited', 'tiktok_rate_limited'),
  40133: row('rate_limited', 'tiktok_rate_limited'),
  50000: row('transient', 'tiktok_system_error'),
  50002: row('transient', 'tiktok_service_unavailable'),
  51001: row('transient', 'tiktok_timeout'),
  60001: row('transient', 'tiktok_maintenance'),
};

// TikTok answers "audience does not exist" with a generic parameter error (40002); the message is the
// only hint. sync/ confirms with a get before it errors a whole audience's items.
const AUDIENCE_MISSING = /audience.*(do(es)? not exist|not found|deleted)/i;

/** Pure: classifies one HTTP answer (status and parsed JSON body, or raw text when it was not JSON). */
export function classify(status: number, body: unknown): Classification {
  const code = envelopeCode(body);
  if (code !== null) {
    if (code === 40002 && AUDIENCE_MISSING.test(envelopeMessage(body))) return row('audience_not_found', 'audience_not_found');
    const known = BY_CODE[code];
    if (known) return known;
    // Unknown codes: TikTok's 4xxxx family are caller errors, 5xxxx/6xxxx server-side ones.
    return code >= 40_000 && code < 50_000 ? row('bad_request', `tiktok_${code}`) : row('transient', `tiktok_${code}`);
  }
  if (status === 429) return row('rate_limited', 'http_429');
  if (status === 408) return row('transient', 'http_408');
  if (status >= 500) return row('transient', `http_${status}`);
  if (status >= 400) return row('bad_request', `http_${status}`);
  // A 2xx/3xx without a readable envelope: a garbled or intercepted answer, worth another try.
  return row('transient', 'unreadable_response');
}

/** A request that never got an answer: always transient. */
export function classifyNetworkFailure(error: unknown): Classification {
  const name = error instanceof Error ? error.name : '';
  return name === 'TimeoutError' || name === 'AbortError' ? row('transient', 'timeout') : row('transient', 'network_error');
}

export function envelopeCode(body: unknown): number | null {
  if (typeof body !== 'object' || body === null) return null;
  const code = (body as { code?: unknown }).code;
  if (typeof code === 'number' && Number.isInteger(code)) return code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  return null;
}

export function envelopeMessage(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' ? message : '';
}
