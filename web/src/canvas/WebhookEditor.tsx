/**
 * The Webhook step's editor (spec §3 `config`: url, method, headers, body): the body is JSON whose
 * strings may hold `{{attribute}}` templates. Headers and body are kept as typed; what cannot be
 * saved (a body that is not JSON, a header without a name) is shown here and reported as the step's
 * problem, which blocks Save (step-problems.ts). Preview renders the request for one profile on the
 * server, as the sender would, and sends nothing; it is shown as text.
 */
import { useId } from 'react';
import type { Step } from '../api/types.ts';
import { useStepProblem } from './step-problems.ts';
import { useDraft } from './use-draft.ts';
import { WebhookPreview } from './WebhookPreview.tsx';

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;

interface Header {
  key: number;
  name: string;
  value: string;
}

const headerRows = (headers: unknown): Header[] =>
  headers && typeof headers === 'object' && !Array.isArray(headers) ? Object.entries(headers).map(([name, value], key) => ({ key, name, value: String(value) })) : [];

function headersOf(rows: readonly Header[]): { headers: Record<string, string>; problem: string | null } {
  const headers: Record<string, string> = {};
  for (const [i, h] of rows.entries()) {
    const name = h.name.trim();
    if (name === '' && h.value === '') continue;
    if (name === '') return { headers, problem: `header ${i + 1} needs a name` };
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return { headers, problem: `"${name}" is not a header name (letters, digits and - only)` };
    if (Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase())) return { headers, problem: `the header "${name}" is set twice` };
    headers[name] = h.value;
  }
  return { headers, problem: null };
}

function bodyOf(text: string): { ok: true; body: unknown } | { ok: false; problem: string } {
  if (text.trim() === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `the body is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

export interface WebhookEditorProps {
  step: Step;
  readOnly: boolean;
  onChange: (step: Step) => void;
}

export function WebhookEditor({ step, readOnly, onChange }: WebhookEditorProps) {
  const uid = useId();
  const config = step.config;
  const method = typeof config.method === 'string' ? config.method : 'POST';
  const [headers, setHeaders] = useDraft(config.headers, headerRows);
  const [bodyText, setBodyText] = useDraft(config.body, (body) => (body === undefined ? '' : JSON.stringify(body, null, 2)));
  const headerProblem = headersOf(headers).problem;
  const body = bodyOf(bodyText);
  const problem = body.ok ? headerProblem : body.problem;
  useStepProblem(step.id, problem === null ? null : `Webhook: ${problem}`);

  const set = (patch: Record<string, unknown>) => {
    // A key set to undefined is left out: the draft keeps no `"url": null` the API would refuse.
    const next = Object.fromEntries(Object.entries({ ...config, ...patch }).filter(([, v]) => v !== undefined));
    onChange({ ...step, config: next });
  };
  const writeHeaders = (rows: Header[]) => {
    const h = headersOf(rows);
    const written = Object.keys(h.headers).length > 0 ? h.headers : undefined;
    setHeaders(rows, h.problem === null ? written : config.headers);
    if (h.problem === null) set({ headers: written });
  };
  const editHeader = (key: number, patch: Partial<Header>) => writeHeaders(headers.map((h) => (h.key === key ? { ...h, ...patch } : h)));

  return (
    <div className="webhook-editor">
      <div className="stack wide">
        <label htmlFor={`${uid}-url`}>URL</label>
        <input
          id={`${uid}-url`}
          type="url"
          value={typeof config.url === 'string' ? config.url : ''}
          readOnly={readOnly}
          placeholder={readOnly ? undefined : 'https://example.com/hook?user={{external_id}}'}
          onChange={(e) => set({ url: e.target.value === '' ? undefined : e.target.value })}
        />
      </div>
      <div className="stack">
        <label htmlFor={`${uid}-method`}>Method</label>
        <select id={`${uid}-method`} value={method} disabled={readOnly} onChange={(e) => set({ method: e.target.value })}>
          {METHODS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </div>

      <fieldset className="kv-editor">
        <legend>Headers</legend>
        {headers.length === 0 ? <p className="note">Sent with content-type: application/json and user-agent: Cohort-Webhook/1.</p> : null}
        {headers.map((h, i) => (
          <div key={h.key} className="kv-row">
            <div className="stack">
              <label htmlFor={`${uid}-h${h.key}-n`}>Header name</label>
              <input id={`${uid}-h${h.key}-n`} value={h.name} readOnly={readOnly} placeholder={readOnly ? undefined : 'Authorization'} onChange={(e) => editHeader(h.key, { name: e.target.value })} />
            </div>
            <div className="stack">
              <label htmlFor={`${uid}-h${h.key}-v`}>Header value</label>
              <input id={`${uid}-h${h.key}-v`} value={h.value} readOnly={readOnly} autoComplete="off" spellCheck={false} onChange={(e) => editHeader(h.key, { value: e.target.value })} />
            </div>
            {readOnly ? null : (
              <button type="button" className="secondary" onClick={() => writeHeaders(headers.filter((x) => x.key !== h.key))}>
                Remove<span className="visually-hidden"> header {h.name.trim() || i + 1}</span>
              </button>
            )}
          </div>
        ))}
        {readOnly ? null : (
          <button type="button" className="secondary" onClick={() => writeHeaders([...headers, { key: Math.max(-1, ...headers.map((h) => h.key)) + 1, name: '', value: '' }])}>
            Add header
          </button>
        )}
      </fieldset>

      <div className="stack wide">
        <label htmlFor={`${uid}-body`}>Body</label>
        <textarea
          id={`${uid}-body`}
          className="json"
          rows={Math.min(12, Math.max(3, bodyText.split('\n').length))}
          value={bodyText}
          readOnly={readOnly}
          spellCheck={false}
          aria-invalid={!body.ok}
          aria-describedby={`${uid}-body-hint`}
          placeholder={readOnly ? undefined : '{"user": "{{external_id}}"}'}
          onChange={(e) => {
            const parsed = bodyOf(e.target.value);
            setBodyText(e.target.value, parsed.ok ? parsed.body : config.body);
            if (parsed.ok) set({ body: parsed.body });
          }}
        />
        <small id={`${uid}-body-hint`} className={body.ok ? undefined : 'problem'}>
          {!body.ok
            ? `Not saved: ${body.problem}.`
            : method === 'GET'
              ? 'A GET request is sent without a body.'
              : 'JSON. Strings may hold {{attribute}}, e.g. {{external_id}}, {{email}} or a custom attribute. Empty: no body.'}
        </small>
      </div>
      {headerProblem ? (
        <p className="alert error" role="alert">
          Not saved: {headerProblem}.
        </p>
      ) : null}

      {readOnly ? null : <WebhookPreview config={config} blocked={problem} />}
    </div>
  );
}
