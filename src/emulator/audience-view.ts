/**
 * How an audience looks in `/dmp/custom_audience/list/` and `/get/` (reference §3.3, §3.4), modelled on the
 * fixtures of a freshly created Partner audience: type "Partner", sub-type NORMAL, MULTIPLE_TYPES.
 */
import { formatTime } from './envelope.ts';
import { coverNum } from './membership.ts';
import type { Audience } from './state.ts';

const DAY_MS = 86_400_000;
/** Audiences expire 365 days after creation here (reference §6; TikTok counts from last use). */
export const EXPIRY_MS = 365 * DAY_MS;
/** `is_expiring` is true in the last 60 days (reference §6). */
const EXPIRING_MS = 60 * DAY_MS;

/** A list item; `delayMs` is both the cover_num delay and the time until `is_valid` becomes true. */
export function listItem(a: Audience, now: number, delayMs: number): Record<string, unknown> {
  const expiresAt = a.createTime + EXPIRY_MS;
  return {
    audience_id: a.audienceId,
    name: a.name,
    audience_type: 'Partner',
    audience_sub_type: 'NORMAL',
    calculate_type: 'MULTIPLE_TYPES',
    cover_num: coverNum(a, now, delayMs),
    is_valid: now - a.createTime >= delayMs && now < expiresAt,
    is_expiring: expiresAt - now <= EXPIRING_MS,
    is_creator: true,
    shared: false,
    is_auto_refresh: false,
    owner_id: a.advertiserId,
    create_time: formatTime(a.createTime),
    expired_time: formatTime(expiresAt),
  };
}

/**
 * A get item. The Segment fixture says `type` inside audience_details, a Go SDK says `audience_type`:
 * both are emitted (reference §3.4) so that a client reading either works.
 */
export function getItem(a: Audience, now: number, delayMs: number, historySize: number): Record<string, unknown> {
  const history = [
    { opt_time: formatTime(a.createTime), action: 'create', msg: null, editor: 'open_api', action_detail: '0' },
  ];
  return {
    audience_details: {
      ...listItem(a, now, delayMs),
      type: 'Partner',
      msg: null,
      error_msg: null,
      rule: '{"inclusions": null, "exclusions": null}',
    },
    audience_history: history.slice(0, historySize),
  };
}
