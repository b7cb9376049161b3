/**
 * What the partner page says for the codes the server sends: the OAuth callback's `?error=<code>` and a
 * connection's `status_reason`. The callback's words are copied from the server's partner page
 * (src/api/routes/partners-page.ts ERROR_TEXT): the web app talks to Cohort only over HTTP, so it cannot import them.
 */

const CALLBACK_ERROR_TEXT: Readonly<Record<string, string>> = {
  access_denied: 'TikTok was not connected: the consent was cancelled on TikTok.',
  missing_code: 'TikTok did not send an authorization code. Start connecting again.',
  auth_code_rejected: 'TikTok refused the authorization code (it may have expired or been used already). Start connecting again.',
  tiktok_unavailable: 'TikTok did not answer. Start connecting again in a moment.',
  app_credentials_invalid: "TikTok refused this Cohort's app credentials (TIKTOK_APP_ID / TIKTOK_APP_SECRET). Ask the operator to check them.",
  advertisers_unavailable: 'TikTok did not list the granted ad accounts. Start connecting again.',
  consent_failed: 'TikTok did not complete the consent. Start connecting again.',
};

/**
 * `?error=<code>` in words. Anyone can link here with any query, so only a known code's own words are
 * shown (an own property: `constructor` is not a code), another code-shaped value (TikTok's, passed on by
 * the callback) only as a code, anything else not at all: the page never repeats a sentence someone else wrote.
 */
export function callbackErrorText(code: string): string {
  if (Object.hasOwn(CALLBACK_ERROR_TEXT, code)) return CALLBACK_ERROR_TEXT[code]!;
  if (/^[a-z][a-z_]{0,39}$/.test(code)) return `TikTok was not connected (${code}). Start connecting again.`;
  return 'TikTok was not connected. Start connecting again.';
}

/** Why a connection is not (or no longer) connected; reasons come from sync/connections.ts and TikTok's error codes. */
const REASON_TEXT: Readonly<Record<string, string>> = {
  token_revoked: 'TikTok says the token was revoked or has expired (for example, access was removed in TikTok for Business).',
  token_missing: 'TikTok did not receive a token with the request.',
  invalid_auth_code: 'TikTok refused the authorization.',
  no_permission: 'TikTok says the token may no longer manage these ad accounts.',
  app_changed: 'This Cohort now uses another TikTok app (TIKTOK_APP_ID changed) than the one this workspace connected with.',
  secret_key_changed: "Cohort's secret key (COHORT_SECRET_KEY) changed, so the stored token can no longer be read.",
  disconnected: 'An admin disconnected TikTok from this workspace.',
};

export function statusReasonText(reason: string): string {
  return Object.hasOwn(REASON_TEXT, reason) ? REASON_TEXT[reason]! : `Reason given: ${reason}.`;
}
