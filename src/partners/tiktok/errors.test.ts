import { describe, expect, it } from 'vitest';
import { BY_CODE, classify, classifyNetworkFailure } from './errors.ts';

const envelope = (code: number, message = 'x') => ({ code, message, request_id: '20260101000000ABCDEF0123456789AB', data: {} });
const NGINX_502 = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

describe('classify: every code of reference §5.3, body code first', () => {
  it.each([
    [0, 'ok', undefined],
    [20001, 'ok', undefined],
    [40001, 'permission', 'no_permission'],
    [40002, 'bad_request', 'invalid_parameter'],
    [40007, 'audience_not_found', 'audience_not_found'],
    [40016, 'rate_limited', 'tiktok_rate_limited'],
    [40067, 'bad_request', 'query_too_large'],
    [40100, 'rate_limited', 'tiktok_rate_limited'],
    [40101, 'bad_request', 'invalid_app_credentials'],
    [40102, 'rate_limited', 'tiktok_rate_limited'],
    [40104, 'invalid_token', 'token_missing'],
    [40105, 'invalid_token', 'token_revoked'],
    [40110, 'invalid_token', 'invalid_auth_code'],
    [40132, 'rate_limited', 'tiktok_rate_limited'],
    [40133, 'rate_limited', 'tiktok_rate_limited'],
    [50000, 'transient', 'tiktok_system_error'],
    [50002, 'transient', 'tiktok_service_unavailable'],
    [51001, 'transient', 'tiktok_timeout'],
    [60001, 'transient', 'tiktok_maintenance'],
  ])('HTTP 200 with code %i → %s', (code, kind, reason) => {
    const c = classify(200, envelope(code));
    expect(c.kind).toBe(kind);
    if (c.kind !== 'ok') expect(c.reason).toBe(reason);
  });

  it('covers exactly the codes the table lists (a new code needs a row here too)', () => {
    expect(Object.keys(BY_CODE).map(Number).sort()).toEqual(
      [0, 20001, 40001, 40002, 40007, 40016, 40067, 40100, 40101, 40102, 40104, 40105, 40110, 40132, 40133, 50000, 50002, 51001, 60001].sort(),
    );
  });

  it.each([
    [200, envelope(40105), 'invalid_token'], // body code wins over a happy status
    [500, envelope(40100), 'rate_limited'], // …and over an unhappy one
    [400, envelope(0), 'ok'],
    [200, { code: '40100', message: 'string code' }, 'rate_limited'],
  ])('status %i with body %j → %s (the body code takes precedence)', (status, body, kind) => {
    expect(classify(status, body).kind).toBe(kind);
  });

  it.each([
    [502, NGINX_502, 'transient', 'http_502'],
    [503, '', 'transient', 'http_503'],
    [504, { message: 'gateway timeout' }, 'transient', 'http_504'],
    [429, 'Too Many Requests', 'rate_limited', 'http_429'],
    [408, '', 'transient', 'http_408'],
    [404, '<html>not found</html>', 'bad_request', 'http_404'],
    [413, 'Payload Too Large', 'bad_request', 'http_413'],
    [200, '<html>captive portal</html>', 'transient', 'unreadable_response'],
  ])('a gateway answer (%i, non-envelope body) → %s/%s', (status, body, kind, reason) => {
    expect(classify(status, body)).toEqual({ kind, reason });
  });

  it.each([
    ['audience_ids [123] do not exist or do not belong to advertiser', 'audience_not_found'],
    ['custom_audience_ids: audience 123 does not exist', 'audience_not_found'],
    ['batch_data[0][1].id: must be 64 hexadecimal characters', 'bad_request'],
  ])('40002 "%s" → %s', (message, kind) => {
    expect(classify(200, envelope(40002, message)).kind).toBe(kind);
  });

  it.each([
    [40999, 'bad_request', 'tiktok_40999'],
    [50999, 'transient', 'tiktok_50999'],
    [61234, 'transient', 'tiktok_61234'],
  ])('an unknown code %i falls back by family → %s', (code, kind, reason) => {
    expect(classify(200, envelope(code))).toEqual({ kind, reason });
  });

  it('network failures are transient, timeouts named as such', () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(classifyNetworkFailure(timeout)).toEqual({ kind: 'transient', reason: 'timeout' });
    expect(classifyNetworkFailure(new TypeError('fetch failed'))).toEqual({ kind: 'transient', reason: 'network_error' });
  });
});
