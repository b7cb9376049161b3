/**
 * The webhook editor's Preview: the request rendered for one profile by the server
 * (`POST /api/webhooks/preview`, the sender's own renderer), which sends nothing. Shown as text: a
 * value holding markup stays text.
 */
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../api/client.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { stableJson } from './model.ts';

interface Rendered {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

/** The request as an HTTP message would read; a JSON body pretty-printed. */
function requestText(r: Rendered): string {
  let body = r.body ?? '';
  try {
    if (body) body = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // Not JSON: shown as rendered.
  }
  return [`${r.method} ${r.url}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), '', body].join('\n');
}

export function WebhookPreview({ config, blocked }: { config: Record<string, unknown>; blocked: string | null }) {
  const uid = useId();
  const [externalId, setExternalId] = useState('');
  const preview = useMutation({ mutationFn: (v: { config: Record<string, unknown>; external_id: string }) => api<Rendered>('POST', '/api/webhooks/preview', v) });
  return (
    <section className="webhook-preview" aria-labelledby={`${uid}-h`}>
      <h4 id={`${uid}-h`}>Preview</h4>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (externalId.trim() && blocked === null) preview.mutate({ config, external_id: externalId.trim() });
        }}
      >
        <div className="stack">
          <label htmlFor={`${uid}-user`}>Preview for external ID</label>
          <input id={`${uid}-user`} value={externalId} autoComplete="off" onChange={(e) => setExternalId(e.target.value)} />
        </div>
        <button type="submit" disabled={preview.isPending || externalId.trim() === '' || blocked !== null}>
          Preview
        </button>
      </form>
      <small>{blocked === null ? 'Shows what would be sent to this user; nothing is sent.' : 'Fix the step first: the preview renders it as it would be saved.'}</small>
      <div aria-live="polite">
        {preview.isError ? <ErrorAlert error={preview.error} prefix="No preview" /> : null}
        {preview.isSuccess ? (
          <>
            <p>
              Request for {preview.variables.external_id}:
              {stableJson(preview.variables.config) !== stableJson(config) ? <strong> the step has changed since; preview again to see it.</strong> : null}
            </p>
            <pre className="config">{requestText(preview.data)}</pre>
          </>
        ) : null}
      </div>
    </section>
  );
}
