/**
 * Reasons on the analytics page, in words. The codes are the server's (engine/steps/audience_sync.ts,
 * sync/sender.ts, docs/retries.md, engine/executor.ts); an unknown code is shown as it is, since a code
 * the dashboard does not know yet still tells an operator more than nothing.
 */

const KNOWN: Record<string, string> = {
  missing_fields: 'none of the fields this step sends (email, phone, IDFA, GAID) was present and usable for these users',
  superseded: 'a later add or remove for the same users and audience replaced this one before it was sent',
  audience_not_found: 'TikTok says the audience no longer exists (deleted in TikTok, or in another tool)',
  retry_window_elapsed: 'TikTok did not accept them within the retry window (13 hours unless the operator changed it)',
  invalid_token: 'the TikTok connection’s token stopped working and nobody reconnected TikTok within the retry window',
  tiktok_disconnected: 'TikTok was disconnected and not connected again within the retry window',
  webhook_blocked: 'the webhook’s address is private or not allowed on this Cohort',
  template_too_deep: 'the webhook body nests too deeply for these users',
  template_too_large: 'the webhook body became too large for these users',
  invalid_value: 'a value for these users could not be stored',
  write_refused: 'the database refused to record these users at this step',
  step_error: 'the step failed for these users',
};

const REJECTED = 'tiktok_rejected: ';

/** The code as the API says it (for searching the docs and logs) and what it means, when known. */
export function reasonText(reason: string): { code: string; meaning: string | null } {
  if (reason.startsWith(REJECTED)) return { code: 'tiktok_rejected', meaning: `TikTok refused the request (${reason.slice(REJECTED.length)})` };
  return { code: reason, meaning: KNOWN[reason] ?? null };
}

const STEP_TYPE: Record<string, string> = {
  audience_sync: 'Audience Sync',
  delay: 'Delay',
  decision_split: 'Decision Split',
  webhook: 'Webhook',
  user_update: 'User Update',
};

export const stepTypeText = (type: string): string => STEP_TYPE[type] ?? type;

const formatter = new Intl.NumberFormat();
/** Counts with the reader's thousands separators (1,000 / 1.000 / 1 000). */
export const count = (n: number): string => formatter.format(n);

export const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`;
