/**
 * The Audience Sync step's editor (spec §8 "audience sync step", §2 items 1–2; Braze's step 3): partner
 * TikTok, one of the connection's chosen ad accounts, an audience found by name or created at once (draft
 * canvases too, so a later step can remove users from it), add or remove, and the fields to match.
 * The outcome of creating an audience is shown at the top of the step, with TikTok's error as the API
 * words it (the 400-audience cap, say). Everything the API answers is rendered as text.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { api, seg } from '../api/client.ts';
import type { Audience, AudienceSyncConfig, Connection } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
// The partner page's cache of GET /api/partners/tiktok: choosing ad accounts there shows here at once.
import { CONNECTION_KEY } from '../pages/PartnerAdAccounts.tsx';
import { AudienceCombobox } from './AudienceCombobox.tsx';
import './audience-sync.css';

export interface AudienceSyncEditorProps {
  /** The step's id, for ids of its controls and for messages. */
  stepId: string;
  config: AudienceSyncConfig;
  /** Called with the whole new config on every change (the canvas page saves the draft). */
  onChange: (config: AudienceSyncConfig) => void;
  /** Viewers, and canvases that are not drafts: shown, not editable. */
  readOnly: boolean;
}

type Field = AudienceSyncConfig['fields'][number];
/** The order spec §2 lists them in, which is also the order the config keeps. */
const FIELDS: { field: Field; label: string }[] = [
  { field: 'email', label: 'Email' },
  { field: 'phone', label: 'Phone' },
  { field: 'idfa', label: 'IDFA' },
  { field: 'gaid', label: 'GAID' },
];

/** An ad account's audiences, cached under one key for every page that names audiences (the user page too). */
export const audiencesKey = (advertiserId: string) => ['partners', 'tiktok', 'audiences', advertiserId] as const;
export const fetchAudiences = (advertiserId: string): Promise<Audience[]> =>
  api<{ audiences: Audience[] }>('GET', `/api/partners/tiktok/audiences?advertiser_id=${seg(advertiserId)}`).then((r) => r.audiences);

type Outcome = { kind: 'created'; name: string; account: string } | { kind: 'failed'; name: string; account: string; error: unknown } | null;

export function AudienceSyncEditor({ stepId, config, onChange, readOnly }: AudienceSyncEditorProps) {
  const uid = useId();
  const ids = { account: `${uid}-account`, audience: `${uid}-audience`, audienceHint: `${uid}-audience-hint` };
  const client = useQueryClient();
  const [typed, setTyped] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const connection = useQuery({ queryKey: CONNECTION_KEY, queryFn: () => api<Connection>('GET', '/api/partners/tiktok') });
  const status = connection.data?.status;
  const advertisers = connection.data?.advertisers ?? [];
  const chosenAccounts = advertisers.filter((a) => a.selected);
  const advertiserId = config.advertiser_id;
  const current = advertisers.find((a) => a.advertiser_id === advertiserId);
  // TikTok may send an empty name; a person still needs something to read.
  const accountName = (id: string) => advertisers.find((a) => a.advertiser_id === id)?.advertiser_name || `Ad account ${id}`;

  // Listing asks TikTok, so only for an ad account of a live connection (anything else would be a 409 or 400).
  const canList = status === 'connected' && current !== undefined;
  const audiences = useQuery({
    queryKey: audiencesKey(advertiserId ?? ''),
    queryFn: () => fetchAudiences(advertiserId ?? ''),
    enabled: canList,
    staleTime: 60_000,
  });
  const list = canList ? (audiences.data ?? []) : [];
  const chosen = list.find((a) => a.audience_id === config.audience_id);
  const chosenText = chosen?.name ?? config.audience_id ?? '';
  const text = typed ?? chosenText;
  const name = (typed ?? '').trim();
  const nameTaken = name !== '' && list.some((a) => a.name === name);

  const create = useMutation({
    mutationFn: (v: { advertiserId: string; name: string }) => api<{ audience_id: string }>('POST', '/api/partners/tiktok/audiences', { advertiser_id: v.advertiserId, name: v.name }),
    onMutate: () => setOutcome(null),
    onSuccess: ({ audience_id }, v) => {
      // Known at once, so the field shows the new name before the list is fetched again (TikTok may shorten it).
      client.setQueryData<Audience[]>(audiencesKey(v.advertiserId), (old) => [...(old ?? []), { audience_id, name: v.name, type: 'PARTNER', size: 0 }]);
      void client.invalidateQueries({ queryKey: audiencesKey(v.advertiserId) });
      setOutcome({ kind: 'created', name: v.name, account: accountName(v.advertiserId) });
      // The account may have been changed while TikTok answered: then the new audience belongs elsewhere.
      if (config.advertiser_id === v.advertiserId) {
        setTyped(null);
        onChange({ ...config, audience_id });
      }
    },
    onError: (error, v) => setOutcome({ kind: 'failed', name: v.name, account: accountName(v.advertiserId), error }),
  });
  // Only once the list is known, so a name that exists is not offered as new.
  const known = canList && audiences.isSuccess;
  const canCreate = !readOnly && known && advertiserId !== undefined && name !== '' && !nameTaken && !create.isPending;
  const createNamed = (audienceName: string) => {
    if (advertiserId !== undefined && known && !create.isPending) create.mutate({ advertiserId, name: audienceName });
  };

  const setAccount = (id: string) => {
    const { advertiser_id: _a, audience_id: _b, ...rest } = config;
    setTyped(null);
    setOutcome(null);
    // A new ad account has other audiences: the chosen one no longer applies.
    onChange(id ? { ...rest, advertiser_id: id } : rest);
  };
  const setField = (field: Field, on: boolean) => {
    onChange({ ...config, fields: FIELDS.map((f) => f.field).filter((f) => (f === field ? on : config.fields.includes(f))) });
  };

  // The step's account stays visible even when it is not (or no longer) one of the chosen ones.
  const accountOptions = chosenAccounts.some((a) => a.advertiser_id === advertiserId) || !advertiserId ? chosenAccounts : [...chosenAccounts, { advertiser_id: advertiserId, advertiser_name: '', selected: false }];

  return (
    // Ids come from useId (a step id may hold any character); the step id marks the editor for scripts.
    <div className="sync-editor" data-step-id={stepId}>
      <div className="sync-outcome" role="status">
        {create.isPending ? <p className="alert">Creating audience “{create.variables.name}”…</p> : null}
        {outcome?.kind === 'created' ? (
          <p className="alert ok">
            Created audience “{outcome.name}” in {outcome.account}
          </p>
        ) : null}
      </div>
      {outcome?.kind === 'failed' ? <ErrorAlert error={outcome.error} prefix={`Could not create audience “${outcome.name}” in ${outcome.account}`} /> : null}

      <p className="sync-partner">
        <span className="sync-label">Partner</span> TikTok
      </p>

      {connection.isPending ? <p className="loading">Loading TikTok ad accounts…</p> : null}
      <ErrorAlert error={connection.error} prefix="Could not read the TikTok connection" />
      {connection.data && (status === 'disconnected' || chosenAccounts.length === 0) ? (
        <p className="alert warn">
          {status === 'disconnected' ? 'TikTok is not connected in this workspace. ' : 'No TikTok ad account is chosen for this workspace. '}
          <Link to="/partners/tiktok">Connect TikTok and choose ad accounts first</Link>
        </p>
      ) : null}
      {status === 'invalid_token' ? (
        <p className="alert warn">
          TikTok no longer accepts this workspace’s token, so audiences cannot be listed or created. <Link to="/partners/tiktok">Reconnect TikTok</Link>
        </p>
      ) : null}

      {accountOptions.length > 0 ? (
        <div className="sync-row">
          <label htmlFor={ids.account}>Ad account</label>
          <select id={ids.account} value={advertiserId ?? ''} disabled={readOnly} onChange={(e) => setAccount(e.target.value)}>
            <option value="">Choose an ad account</option>
            {accountOptions.map((a) => (
              <option key={a.advertiser_id} value={a.advertiser_id}>
                {a.selected ? accountName(a.advertiser_id) : `${accountName(a.advertiser_id)} (not a chosen ad account)`}
              </option>
            ))}
          </select>
        </div>
      ) : null}

      <div className="sync-row">
        <AudienceCombobox
          id={ids.audience}
          audiences={list}
          text={text}
          typing={typed !== null}
          onText={setTyped}
          onRevert={() => setTyped(null)}
          onChoose={(a) => {
            setTyped(null);
            onChange({ ...config, audience_id: a.audience_id });
          }}
          {...(readOnly || !known ? {} : { onCreate: createNamed })}
          disabled={readOnly || !canList}
          describedBy={ids.audienceHint}
        />
        <small id={ids.audienceHint}>
          {audienceHint({ readOnly, advertiserId, canList, loading: audiences.isPending, missing: audiences.isSuccess && config.audience_id !== undefined && !chosen, typed, chosenText, nameTaken, name })}
        </small>
        <ErrorAlert error={canList ? audiences.error : null} prefix="Could not list the ad account’s audiences" />
        {readOnly ? null : (
          <div>
            <button type="button" className="secondary" disabled={!canCreate} aria-describedby={ids.audienceHint} onClick={() => createNamed(name)}>
              Create audience
            </button>
          </div>
        )}
      </div>

      <fieldset>
        <legend>Action</legend>
        <label className="choice">
          <input type="radio" name={`${uid}-action`} value="add" checked={config.action === 'add'} disabled={readOnly} onChange={() => onChange({ ...config, action: 'add' })} />
          Add users
        </label>
        <label className="choice">
          <input type="radio" name={`${uid}-action`} value="remove" checked={config.action === 'remove'} disabled={readOnly} onChange={() => onChange({ ...config, action: 'remove' })} />
          Remove users
        </label>
      </fieldset>

      <fieldset>
        <legend>Fields to sync</legend>
        {FIELDS.map(({ field, label }) => (
          <label className="choice" key={field}>
            <input type="checkbox" checked={config.fields.includes(field)} disabled={readOnly} onChange={(e) => setField(field, e.target.checked)} />
            {label}
          </label>
        ))}
        <small className="sync-fields-hint">Hashed with SHA-256 before they leave Cohort. A user with none of them is counted as Users Not Synced.</small>
      </fieldset>
    </div>
  );
}

/** One line under the Audience field saying what it holds or what to do next. */
function audienceHint(p: { readOnly: boolean; advertiserId: string | undefined; canList: boolean; loading: boolean; missing: boolean; typed: string | null; chosenText: string; nameTaken: boolean; name: string }): string {
  if (!p.advertiserId) return 'Choose an ad account first.';
  if (!p.canList) return p.chosenText ? `Audience id ${p.chosenText}.` : 'Audiences cannot be listed until TikTok is connected.';
  if (p.loading) return 'Loading the ad account’s audiences…';
  if (p.missing && p.typed === null) return `Audience ${p.chosenText} is not among this ad account’s audiences: it may have been deleted in TikTok.`;
  if (p.readOnly) return p.chosenText ? '' : 'No audience chosen.';
  if (p.nameTaken) return `An audience named “${p.name}” exists: choose it in the list.`;
  if (p.typed !== null && p.chosenText && p.typed !== p.chosenText) return `Still syncing to “${p.chosenText}” until you choose another audience.`;
  return p.chosenText ? '' : 'Type to search the ad account’s audiences, or type a new name and create it.';
}
