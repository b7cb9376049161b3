/**
 * Why a user was not synced, errored or failed, in words: shared by the analytics page (counts per
 * reason) and the user page (one user's reason), so each meaning reads for one user as for many. The
 * codes are the server's (engine/steps/audience_sync.ts, sync/sender.ts, docs/retries.md,
 * engine/executor.ts); an unknown code is shown as it is, since a code the dashboard does not know yet
 * still tells an operator more than nothing.
 */

const KNOWN: Record<string, string> = {
  missing_fields: 'none of the fields this step sends (email, phone, IDFA, GAID) was present and usable',
  superseded: 'a later add or remove for the same user and audience replaced this one before it was sent',
  audience_not_found: 'TikTok says the audience no longer exists (deleted in TikTok, or in another tool)',
  retry_window_elapsed: 'TikTok did not accept the request within the retry window (13 hours unless the operator changed it)',
  invalid_token: 'the TikTok connection’s token stopped working and nobody reconnected TikTok within the retry window',
  tiktok_disconnected: 'TikTok was disconnected and not connected again within the retry window',
  webhook_blocked: 'the webhook’s address is private or not allowed on this Cohort',
  template_too_deep: 'the webhook body nests too deeply',
  template_too_large: 'the webhook body became too large',
  invalid_value: 'a value could not be stored',
  write_refused: 'the database refused to record the entry at this step',
  step_error: 'the step failed',
};

const REJECTED = 'tiktok_rejected: ';

/** The code as the API says it (for searching the docs and logs) and what it means, when known. */
export function reasonText(reason: string): { code: string; meaning: string | null } {
  if (reason.startsWith(REJECTED)) return { code: 'tiktok_rejected', meaning: `TikTok refused the request (${reason.slice(REJECTED.length)})` };
  return { code: reason, meaning: KNOWN[reason] ?? null };
}
