/**
 * New API key (spec §8 "API keys"): a name gives a key. The server answers the key once and keeps
 * only its hash, so it is shown once here, with a copy button, until Done.
 */
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { NewApiKey } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';

export function NewKeyForm({ onCreated, onCancel }: { onCreated: (key: NewApiKey) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const nameField = useRef<HTMLInputElement>(null);
  const id = useId();
  const create = useMutation({ mutationFn: () => api<NewApiKey>('POST', '/api/api-keys', { name: name.trim() }), onSuccess: onCreated });
  useEffect(() => nameField.current?.focus(), []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="card new-key-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New API key</h2>
      <div className="stack">
        <label htmlFor={`${id}-name`}>Name</label>
        <input ref={nameField} id={`${id}-name`} type="text" required maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} aria-describedby={`${id}-hint`} />
        <small id={`${id}-hint`}>Say what will use it, such as “Shop importer”, so that you know which key to revoke later.</small>
      </div>
      <ErrorAlert error={create.error} prefix="No key was made" />
      <p className="row">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create API key'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </form>
  );
}

export function KeyShownOnce({ created, onDone }: { created: NewApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.api_key);
      setCopied('yes');
    } catch {
      // No clipboard (plain http on another host, or permission refused): select it for Ctrl+C.
      field.current?.select();
      setCopied('no');
    }
  };
  return (
    <section className="card key-shown" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        API key “{created.name}”
      </h2>
      <p className="alert warn">Copy it now: Cohort stores only its hash and cannot show it again.</p>
      <div className="key-field">
        <label htmlFor={`${id}-key`}>API key</label>
        <input ref={field} id={`${id}-key`} type="text" readOnly spellCheck={false} value={created.api_key} onFocus={(e) => e.target.select()} />
      </div>
      <p>
        A script sends it as <code>Authorization: Bearer &lt;key&gt;</code>, and acts for the whole workspace.
      </p>
      <p className="row">
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
      </p>
      <p role="status">{copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Your browser did not let the page copy: the key is selected, press Ctrl+C (⌘C on a Mac).' : ''}</p>
    </section>
  );
}
