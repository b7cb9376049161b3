/**
 * The workspace's API keys (spec §8 "API keys"): **New API key** (named; the key shown once), a table
 * with **Name**, **Created** and **Last used**, and **Revoke** (asks to confirm; the key stops working
 * at once). Admins only: the API answers 403 to anyone else, so for them the page says so without
 * asking it.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api, seg } from '../api/client.ts';
import type { ApiKey, NewApiKey } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { can, useSignedIn } from '../session.tsx';
import { KeyShownOnce, NewKeyForm } from './ApiKeysNew.tsx';
import './api-keys.css';

const KEYS_KEY = ['api-keys'] as const;

export function ApiKeysPage() {
  usePageTitle('API keys');
  const session = useSignedIn();
  if (!can(session, 'admin')) {
    return (
      <div className="api-keys-page">
        <h1>API keys</h1>
        <p className="alert warn">Only admins manage API keys. Ask an admin of this workspace for a key for your script.</p>
      </div>
    );
  }
  return <ApiKeysAdmin />;
}

function ApiKeysAdmin() {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: KEYS_KEY, queryFn: () => api<{ api_keys: ApiKey[] }>('GET', '/api/api-keys') });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const newButton = useRef<HTMLButtonElement>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: KEYS_KEY });

  // Relative to when the list was fetched (render stays pure): close enough for "5 minutes ago".
  const now = keys.dataUpdatedAt;
  const list = keys.data?.api_keys ?? [];
  return (
    <div className="api-keys-page">
      <h1>API keys</h1>
      <p className="api-keys-lede">
        Scripts use a key to track users and trigger canvases in this workspace. A key acts for the whole workspace, so give each script its own and revoke the ones you no longer use.
      </p>
      {created ? (
        <KeyShownOnce
          created={created}
          onDone={() => {
            setCreated(null);
            newButton.current?.focus();
          }}
        />
      ) : null}
      {creating ? (
        <NewKeyForm
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
            setRevoked(null);
            refresh();
          }}
          onCancel={() => {
            setCreating(false);
            newButton.current?.focus();
          }}
        />
      ) : (
        <p>
          <button
            ref={newButton}
            type="button"
            onClick={() => {
              setCreating(true);
              setCreated(null);
            }}
          >
            New API key
          </button>
        </p>
      )}
      <div role="status">{revoked !== null ? <p className="alert ok">Revoked “{revoked}”. Requests with it are refused from now on.</p> : null}</div>
      {keys.isPending ? <p className="loading">Loading…</p> : null}
      <ErrorAlert error={keys.error} prefix="The API keys could not be loaded" />
      {keys.isSuccess && list.length === 0 ? (
        <div className="card empty">
          <p>
            <strong>No API keys yet.</strong> Choose New API key to make one for a script.
          </p>
        </div>
      ) : null}
      {list.length > 0 ? (
        <div className="table-scroll">
          <table className="api-keys-table">
            <caption className="visually-hidden">API keys of this workspace, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <KeyRow
                  key={k.id}
                  apiKey={k}
                  now={now}
                  onRevoked={() => {
                    setRevoked(k.name);
                    if (created?.id === k.id) setCreated(null);
                    refresh();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p className="api-keys-note">
        <small>Last used is recorded at most once a minute per key.</small>
      </p>
    </div>
  );
}

function KeyRow({ apiKey, now, onRevoked }: { apiKey: ApiKey; now: number; onRevoked: () => void }) {
  const revoke = useMutation({ mutationFn: () => api<null>('DELETE', `/api/api-keys/${seg(apiKey.id)}`), onSuccess: onRevoked });
  const nameId = `api-key-${apiKey.id}`;
  return (
    <tr>
      <td id={nameId} className="api-key-name">
        {apiKey.name}
      </td>
      <td>
        <RelativeTime iso={apiKey.created_at} now={now} />
      </td>
      <td>{apiKey.last_used_at ? <RelativeTime iso={apiKey.last_used_at} now={now} /> : 'Never'}</td>
      <td className="api-key-actions">
        <ConfirmAction
          label="Revoke"
          question={`Revoke “${apiKey.name}”? Scripts using it are refused from their next request.`}
          describedBy={nameId}
          mutation={revoke}
          failed="Not revoked"
          className="confirm-revoke"
        />
      </td>
    </tr>
  );
}
