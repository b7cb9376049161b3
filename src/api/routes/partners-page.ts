/**
 * The partner page the OAuth callback lands on (`GET /partners/tiktok`), server-rendered in a copy whose
 * dashboard is not built (routes/web-app.ts), and the callback's error page. It is public (no API key: a browser arrives from TikTok), so it shows only what the
 * redirect's query says — connected, or which error — and the built-in emulator banner; never a
 * workspace's data. Every value is HTML-escaped, and no state or code is ever put on a page.
 */

/** The callback's stable error codes (sync/oauth-callback.ts) in words. */
const ERROR_TEXT: Readonly<Record<string, string>> = {
  access_denied: 'TikTok was not connected: the consent was cancelled on TikTok.',
  missing_code: 'TikTok did not send an authorization code. Start connecting again.',
  auth_code_rejected: 'TikTok refused the authorization code (it may have expired or been used already). Start connecting again.',
  tiktok_unavailable: 'TikTok did not answer. Start connecting again in a moment.',
  app_credentials_invalid: "TikTok refused this Cohort's app credentials (TIKTOK_APP_ID / TIKTOK_APP_SECRET). Ask the operator to check them.",
  advertisers_unavailable: 'TikTok did not list the granted ad accounts. Start connecting again.',
  consent_failed: 'TikTok did not complete the consent. Start connecting again.',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** No scripts, no external anything: the page needs only its inline style. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

const EMULATOR_BANNER =
  '<p class="banner" role="alert"><strong>Built-in TikTok emulator.</strong> This Cohort runs without TIKTOK_APP_ID/TIKTOK_APP_SECRET, so it talks to the TikTok emulator inside the process: <strong>no data reaches TikTok</strong>. Every workspace of this Cohort connects to the same seeded ad accounts and sees the same audiences there.</p>';

/** A server-rendered page of Cohort's (no scripts; served with PAGE_HEADERS). */
export function layout(title: string, body: string, emulator: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Cohort</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:40rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
.banner{background:#fff4ce;border:2px solid #c99a00;padding:.75rem 1rem;border-radius:6px}
.ok{color:#0a6b2d;font-weight:600}.error{color:#a4161a;font-weight:600}
code{background:#eef0f3;padding:0 .25rem;border-radius:3px}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${emulator ? EMULATOR_BANNER : ''}
${body}
</main>
</body>
</html>
`;
}

const HOW_TO =
  '<p>The connection is managed through the API: <code>GET /api/partners/tiktok</code> shows it, <code>PUT /api/partners/tiktok/advertisers</code> picks the ad accounts, <code>POST /api/partners/tiktok/connect</code> reconnects. See <a href="/api/docs">the API documentation</a>.</p>';

/**
 * What the page says for `?error=<code>`. Anyone can link to this page with any query, so only a known
 * code's own words are shown (looked up as an own property: `constructor` or `__proto__` are not codes),
 * another code-shaped value (TikTok's, passed on by the callback) only as a code, and anything else not
 * at all: the page never repeats a sentence someone else wrote.
 */
function errorText(code: string): string {
  if (Object.hasOwn(ERROR_TEXT, code)) return escapeHtml(ERROR_TEXT[code]!);
  if (/^[a-z][a-z_]{0,39}$/.test(code)) return `TikTok was not connected (<code>${escapeHtml(code)}</code>). Start connecting again.`;
  return 'TikTok was not connected. Start connecting again.';
}

/** The landing page after the callback: `?connected=1` or `?error=<code>`. */
export function renderPartnerPage(p: { connected: boolean; error: string | null; emulator: boolean }): string {
  let status = '<p>Connect TikTok with <code>POST /api/partners/tiktok/connect</code> and open the <code>authorize_url</code> it returns.</p>';
  if (p.error !== null) {
    status = `<p class="error">${errorText(p.error)}</p>`;
  } else if (p.connected) {
    status = '<p class="ok">Connected. TikTok is linked to this workspace.</p>';
  }
  return layout('TikTok', `${status}\n${HOW_TO}`, p.emulator);
}

/** The callback's 400 page (a missing, unknown, used or expired state): nothing was changed. */
export function renderCallbackErrorPage(message: string, emulator: boolean): string {
  return layout('TikTok connection failed', `<p class="error">${escapeHtml(message)}</p>\n<p>Nothing was changed.</p>\n${HOW_TO}`, emulator);
}
