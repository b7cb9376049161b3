/**
 * A user (spec §8 "user", issue #19 item 6): **External ID** and **Look up**, then what Cohort knows
 * about them — the profile, the canvases they entered and where they are, and each Audience Sync item
 * with its outcome and why. `/users` is the form alone; `/users/{external_id}` also shows the user.
 * While an item is pending the page asks again every few seconds, so Pending turns into Synced by itself.
 */
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';
import { api, ApiError, seg } from '../api/client.ts';
import type { UserHistory, UserProfile } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { When } from '../components/When.tsx';
import { UserJourneys } from './UserHistory.tsx';
import './user.css';

const PENDING_REFRESH_MS = 3_000;
const PREFIX = '/users/';

/**
 * The id from the address as it was encoded. React Router's params turn `%2F` into `/` after decoding,
 * so an id holding a literal "%2F" would come back as "/"; decoding the raw segment once is exact.
 */
function idFromPath(pathname: string, fallback: string | undefined): string | undefined {
  if (!pathname.startsWith(PREFIX)) return fallback;
  try {
    return decodeURIComponent(pathname.slice(PREFIX.length));
  } catch {
    return fallback;
  }
}

export const userPath = (externalId: string): string => `${PREFIX}${seg(externalId)}`;

export function UserPage() {
  const params = useParams();
  const location = useLocation();
  const externalId = params.externalId === undefined ? undefined : idFromPath(location.pathname, params.externalId);
  usePageTitle(externalId === undefined ? 'Users' : `User ${externalId}`);
  return (
    <div className="user-page">
      <h1>{externalId === undefined ? 'Users' : <><span className="user-kicker">User</span> {externalId}</>}</h1>
      {/* A new id is a new form: the field shows the id being looked at. */}
      <LookUp key={externalId ?? ''} initial={externalId ?? ''} />
      {externalId === undefined ? (
        <p className="user-hint">Type a user’s external ID (the one your scripts send as <code>external_id</code>) to see their profile, the canvases they entered and what was synced to TikTok.</p>
      ) : (
        <User externalId={externalId} />
      )}
    </div>
  );
}

function LookUp({ initial }: { initial: string }) {
  const navigate = useNavigate();
  const fieldId = useId();
  const [value, setValue] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // An external ID is exact: spaces are part of it, so nothing is trimmed (an empty field is refused by `required`).
    if (value !== '') void navigate(userPath(value));
  };
  return (
    <form className="user-lookup" role="search" aria-label="Look up a user" onSubmit={submit}>
      <label htmlFor={fieldId}>External ID</label>
      <div className="row">
        <input id={fieldId} name="external_id" value={value} onChange={(e) => setValue(e.target.value)} required maxLength={255} autoComplete="off" spellCheck={false} />
        <button type="submit">Look up</button>
      </div>
    </form>
  );
}

function User({ externalId }: { externalId: string }) {
  const user = useQuery({
    queryKey: ['users', 'one', externalId],
    queryFn: () => api<UserHistory>('GET', `/api/users/${seg(externalId)}`),
    refetchInterval: (query) => (query.state.data?.sync_items.some((i) => i.outcome === 'pending') ? PENDING_REFRESH_MS : false),
  });
  if (user.isPending) return <p className="loading">Loading…</p>;
  // A failed refresh keeps the user shown (below); only a first answer that failed replaces it.
  if (user.isLoadingError) {
    if (user.error instanceof ApiError && user.error.status === 404) {
      return (
        <p className="alert warn" role="alert">
          No user with external ID “{externalId}” in this workspace.
        </p>
      );
    }
    return <ErrorAlert error={user.error} prefix="This user could not be loaded" />;
  }
  const { profile, canvas_entries: entries, sync_items: items } = user.data;
  return (
    <>
      {user.isRefetchError ? <ErrorAlert error={user.error} prefix="Could not refresh; this is what was last received" /> : null}
      <Profile profile={profile} />
      <UserJourneys entries={entries} items={items} />
    </>
  );
}

const STANDARD: { key: keyof UserProfile; label: string }[] = [
  { key: 'external_id', label: 'External ID' },
  { key: 'email', label: 'Email' },
  { key: 'phone', label: 'Phone' },
  { key: 'first_name', label: 'First name' },
  { key: 'last_name', label: 'Last name' },
  { key: 'country', label: 'Country' },
  { key: 'language', label: 'Language' },
  { key: 'idfa', label: 'IDFA' },
  { key: 'gaid', label: 'GAID' },
  { key: 'ads_tracking_enabled', label: 'Ads tracking enabled' },
];

function Profile({ profile }: { profile: UserProfile }) {
  const custom = Object.entries(profile.custom);
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <dl className="attributes">
        {STANDARD.map(({ key, label }) => (
          <Attribute key={key} name={label}>
            {shown(profile[key])}
          </Attribute>
        ))}
        <Attribute name="Created">
          <When iso={profile.created_at} />
        </Attribute>
        <Attribute name="Last updated">
          <When iso={profile.updated_at} />
        </Attribute>
      </dl>
      <h3>Custom attributes</h3>
      {custom.length === 0 ? (
        <p className="user-empty">No custom attributes.</p>
      ) : (
        <dl className="attributes custom">
          {custom.map(([name, value]) => (
            <Attribute key={name} name={name}>
              {shown(value)}
            </Attribute>
          ))}
        </dl>
      )}
    </section>
  );
}

function Attribute({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div className="attribute">
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A value as text: strings as they are, booleans in words, anything structured as indented JSON. */
function shown(value: unknown): ReactNode {
  if (value === null || value === undefined) return <span className="unset">Not set</span>;
  if (typeof value === 'string') return value === '' ? <span className="unset">(empty text)</span> : value;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') return String(value);
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}
