/**
 * The consent page of `/portal/auth` (spec §6, reference §2.1): the user picks which ad accounts the app
 * may use, then confirms or cancels. Real HTML, so a person (or a browser test) can click through it.
 * Every value that came from a request is escaped.
 */

export interface ConsentView {
  appId: string;
  state: string | undefined;
  redirectUri: string;
  advertisers: readonly { id: string; name: string }[];
  /** Ids to show checked; all when undefined (the default on first render). */
  checked?: ReadonlySet<string>;
  /** Shown above the form when re-rendering after a refused submit. */
  error?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export const CONSENT_TITLE = 'Authorize Cohort — TikTok for Business (emulator)';

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f5f5f7; margin: 0; padding: 2rem; color: #161823; }
  main { max-width: 32rem; margin: 0 auto; background: #fff; border-radius: 8px; padding: 1.5rem 2rem; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.25rem; } .app { color: #555; } .error { color: #b00020; font-weight: 600; }
  fieldset { border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; } label { display: block; margin: .4rem 0; }
  .id { color: #777; font-family: monospace; } .buttons { display: flex; gap: .75rem; }
  button { padding: .5rem 1.25rem; border-radius: 4px; border: 1px solid #999; background: #fff; cursor: pointer; }
  button[value="confirm"] { background: #fe2c55; border-color: #fe2c55; color: #fff; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
${body}
</main></body>
</html>
`;
}

const hidden = (name: string, value: string): string =>
  `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

export function renderConsentPage(v: ConsentView): string {
  const boxes = v.advertisers
    .map((a) => {
      const checked = !v.checked || v.checked.has(a.id) ? ' checked' : '';
      return `<label><input type="checkbox" name="advertiser_ids" value="${escapeHtml(a.id)}"${checked}> ${escapeHtml(a.name)} <span class="id">(${escapeHtml(a.id)})</span></label>`;
    })
    .join('\n');
  return page(
    CONSENT_TITLE,
    `<h1>Authorize Cohort to manage your TikTok ad accounts</h1>
<p class="app">App ID: <code>${escapeHtml(v.appId)}</code></p>
<p>Cohort asks for Ad account management and Audience management on the ad accounts you select.</p>
${v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : ''}
<form method="post" action="/portal/auth">
${hidden('app_id', v.appId)}
${v.state !== undefined ? hidden('state', v.state) : ''}
${hidden('redirect_uri', v.redirectUri)}
<fieldset><legend>Ad accounts</legend>
${boxes}
</fieldset>
<div class="buttons">
<button type="submit" name="decision" value="confirm">Confirm</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</div>
</form>`,
  );
}

export function renderErrorPage(message: string): string {
  return page(
    'Authorization error — TikTok for Business (emulator)',
    `<h1>This authorization link cannot be used</h1>\n<p class="error">${escapeHtml(message)}</p>`,
  );
}
