/**
 * The ad accounts TikTok granted: admins pick the ones Audience Sync steps may use (one checkbox each,
 * labelled with the account's name) and save; everyone else sees which are picked, read-only.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { Connection } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';

type Advertiser = Connection['advertisers'][number];

export const CONNECTION_KEY = ['partners', 'tiktok'] as const;

/** TikTok may send an empty name; a checkbox still needs a label a person can read. */
const nameOf = (a: Advertiser): string => a.advertiser_name || `Ad account ${a.advertiser_id}`;

export function AdAccounts({ advertisers, admin }: { advertisers: Connection['advertisers']; admin: boolean }) {
  const [saved, setSaved] = useState<string | null>(null);
  if (advertisers.length === 0) {
    return <p>TikTok granted no ad accounts. Disconnect, then connect again and tick at least one ad account on TikTok&apos;s consent page.</p>;
  }
  if (!admin) return <ReadOnlyList advertisers={advertisers} />;
  return (
    <>
      <Picker advertisers={advertisers} onSaved={setSaved} onEdit={() => setSaved(null)} />
      {saved ? (
        <p className="alert ok" role="status">
          {saved}
        </p>
      ) : null}
    </>
  );
}

const selectedIn = (advertisers: Connection['advertisers']): ReadonlySet<string> => new Set(advertisers.filter((a) => a.selected).map((a) => a.advertiser_id));

function Picker({ advertisers, onSaved, onEdit }: { advertisers: Connection['advertisers']; onSaved: (message: string) => void; onEdit: () => void }) {
  const client = useQueryClient();
  const [picked, setPicked] = useState<ReadonlySet<string>>(() => selectedIn(advertisers));
  // When what the server holds changes (a save, or another admin's), the boxes start from it again. Reset
  // during render rather than by remounting, so that keyboard focus stays on Save.
  const [basis, setBasis] = useState(advertisers);
  if (basis !== advertisers) {
    setBasis(advertisers);
    setPicked(selectedIn(advertisers));
  }
  const save = useMutation({
    mutationFn: (ids: string[]) => api<Connection>('PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: ids }),
    onSuccess: (connection) => {
      const count = connection.advertisers.filter((a) => a.selected).length;
      onSaved(
        count === 0
          ? 'Ad accounts saved. None is picked, so Audience Sync steps have no ad account to sync to.'
          : `Ad accounts saved. Audience Sync steps can sync to ${count === 1 ? '1 ad account' : `${count} ad accounts`}.`,
      );
      client.setQueryData(CONNECTION_KEY, connection);
    },
  });
  const toggle = (id: string, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
    onEdit();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(advertisers.filter((a) => picked.has(a.advertiser_id)).map((a) => a.advertiser_id));
  };
  return (
    <form onSubmit={submit}>
      <fieldset className="ad-accounts">
        <legend>Ad accounts Cohort may sync to</legend>
        {advertisers.map((a) => {
          const id = `ad-account-${a.advertiser_id}`;
          return (
            <div className="ad-account" key={a.advertiser_id}>
              <input type="checkbox" id={id} checked={picked.has(a.advertiser_id)} onChange={(e) => toggle(a.advertiser_id, e.target.checked)} aria-describedby={`${id}-id`} />
              <label htmlFor={id}>{nameOf(a)}</label>
              <small id={`${id}-id`} className="ad-account-id">
                ID {a.advertiser_id}
              </small>
            </div>
          );
        })}
      </fieldset>
      <ErrorAlert error={save.error} prefix="The ad accounts were not saved" />
      <button type="submit" disabled={save.isPending}>
        Save ad accounts
      </button>
    </form>
  );
}

function ReadOnlyList({ advertisers }: { advertisers: Connection['advertisers'] }) {
  return (
    <>
      <p>Ad accounts Cohort may sync to (an admin picks them):</p>
      <ul className="ad-accounts-readonly">
        {advertisers.map((a) => (
          <li key={a.advertiser_id}>
            <span className="ad-account-name">{nameOf(a)}</span> <span className={a.selected ? 'badge ok' : 'badge'}>{a.selected ? 'selected' : 'not selected'}</span>{' '}
            <small className="ad-account-id">ID {a.advertiser_id}</small>
          </li>
        ))}
      </ul>
    </>
  );
}
