/**
 * One user's journeys on the user page: the canvases they entered (where they are, or why they failed)
 * and each Audience Sync item (outcome and why). The API gives ids; names come from the canvases and,
 * while TikTok is connected, from the ad accounts' audience lists (cached with the sync editor's), and
 * an id stands in for any name that cannot be had.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, seg } from '../api/client.ts';
import type { Audience, Canvas, Connection, SyncOutcome, UserEntry, UserSyncItem } from '../api/types.ts';
import { audiencesKey, fetchAudiences } from '../canvas/AudienceSyncEditor.tsx';
import { When } from '../components/When.tsx';
import { stepTypeText } from './analytics-words.ts';
import { CONNECTION_KEY } from './PartnerAdAccounts.tsx';
import { reasonText } from './reason-words.ts';

/** The API's cap on each list (GET /api/users/{external_id}). */
const LATEST = 100;

const distinct = (values: (string | null)[]): string[] => [...new Set(values.filter((v): v is string => v !== null))];

export function UserJourneys({ entries, items }: { entries: UserEntry[]; items: UserSyncItem[] }) {
  const canvasIds = distinct([...entries.map((e) => e.canvas_id), ...items.map((i) => i.canvas_id)]);
  const canvases = useQueries({
    // The analytics page's key: opening a canvas's analytics from here shows its name at once.
    queries: canvasIds.map((id) => ({ queryKey: ['canvas', id], queryFn: () => api<Canvas>('GET', `/api/canvases/${seg(id)}`), staleTime: 60_000 })),
    combine: (results) => new Map(results.flatMap((r, i) => (r.data ? [[canvasIds[i]!, r.data] as const] : []))),
  });
  return (
    <>
      <Entries entries={entries} canvases={canvases} />
      <SyncItems items={items} canvases={canvases} />
    </>
  );
}

type Canvases = Map<string, Canvas>;

function CanvasCell({ id, canvases }: { id: string; canvases: Canvases }) {
  const name = canvases.get(id)?.name;
  return <Link to={`/canvases/${seg(id)}`}>{name ?? id}</Link>;
}

/** A step by its id, with its type when the canvas's latest version still has it. */
function StepText({ canvasId, stepId, canvases }: { canvasId: string; stepId: string; canvases: Canvases }) {
  const type = canvases.get(canvasId)?.steps.find((s) => s.id === stepId)?.type;
  return (
    <>
      <span className="step-id">{stepId}</span>
      {type ? <small className="step-type">{stepTypeText(type)}</small> : null}
    </>
  );
}

function Reason({ reason }: { reason: string }) {
  const { code, meaning } = reasonText(reason);
  return (
    <span className="reason">
      <code>{code}</code>
      {meaning ? `: ${meaning}` : null}
    </span>
  );
}

const ENTRY_STATUS: Record<UserEntry['status'], { word: string; badge: string }> = {
  active: { word: 'Active', badge: 'badge ok' },
  exited: { word: 'Exited', badge: 'badge' },
  failed: { word: 'Failed', badge: 'badge error' },
};

function Entries({ entries, canvases }: { entries: UserEntry[]; canvases: Canvases }) {
  return (
    <section aria-labelledby="entries-heading">
      <h2 id="entries-heading">Canvas entries</h2>
      {entries.length === 0 ? (
        <p className="user-empty">This user has not entered any canvas.</p>
      ) : (
        <div className="table-scroll">
          <table className="user-table">
            <caption className="visually-hidden">Canvases this user entered, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Canvas</th>
                <th scope="col">Status</th>
                <th scope="col">Step</th>
                <th scope="col">Entered</th>
                <th scope="col">Exited</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => {
                const status = ENTRY_STATUS[e.status] ?? { word: e.status, badge: 'badge' };
                return (
                  <tr key={`${e.canvas_id}-${e.entered_at}-${i}`}>
                    <td className="canvas-cell">
                      <CanvasCell id={e.canvas_id} canvases={canvases} />
                      <small className="cell-note">version {e.version}</small>
                    </td>
                    <td>
                      <span className={status.badge}>{status.word}</span>
                      {e.status === 'failed' && e.failure_reason ? (
                        <small className="cell-note entry-reason">
                          <Reason reason={e.failure_reason} />
                        </small>
                      ) : null}
                    </td>
                    <td className="step-cell">
                      {e.step_id === null ? (
                        <span className="unset">{e.status === 'exited' ? 'Left the canvas' : '—'}</span>
                      ) : (
                        <>
                          <span className="visually-hidden">{e.status === 'failed' ? 'Failed at ' : 'At '}</span>
                          <StepText canvasId={e.canvas_id} stepId={e.step_id} canvases={canvases} />
                        </>
                      )}
                    </td>
                    <td>
                      <When iso={e.entered_at} />
                    </td>
                    <td>
                      <When iso={e.exited_at} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {entries.length >= LATEST ? <p className="table-note"><small>The latest {LATEST} entries.</small></p> : null}
        </div>
      )}
    </section>
  );
}

const OUTCOME: Record<SyncOutcome, { word: string; badge: string }> = {
  synced: { word: 'Synced', badge: 'badge ok' },
  not_synced: { word: 'Not synced', badge: 'badge warn' },
  pending: { word: 'Pending', badge: 'badge' },
  errored: { word: 'Errored', badge: 'badge error' },
};

const ACTION: Record<string, string> = { add: 'Add to audience', remove: 'Remove from audience' };

function SyncItems({ items, canvases }: { items: UserSyncItem[]; canvases: Canvases }) {
  const audiences = useAudienceNames(items);
  return (
    <section aria-labelledby="sync-heading">
      <h2 id="sync-heading">Audience Sync</h2>
      {items.length === 0 ? (
        <p className="user-empty">No Audience Sync step has reached this user.</p>
      ) : (
        <div className="table-scroll">
          <table className="user-table">
            <caption className="visually-hidden">This user’s Audience Sync items, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Canvas</th>
                <th scope="col">Step</th>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
                <th scope="col">Audience</th>
                <th scope="col">Action</th>
                <th scope="col">Entered the step</th>
                <th scope="col">Settled</th>
                <th scope="col">Attempts</th>
                <th scope="col">Identifiers sent</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item, i) => {
                const outcome = OUTCOME[item.outcome] ?? { word: item.outcome, badge: 'badge' };
                return (
                  <tr key={`${item.canvas_id}-${item.step_id}-${item.created_at}-${i}`}>
                    <td className="canvas-cell">
                      <CanvasCell id={item.canvas_id} canvases={canvases} />
                    </td>
                    <td className="step-cell">
                      <StepText canvasId={item.canvas_id} stepId={item.step_id} canvases={canvases} />
                    </td>
                    <td>
                      <span className={outcome.badge}>{outcome.word}</span>
                    </td>
                    <td className="reason-cell">
                      {item.reason ? <Reason reason={item.reason} /> : <span className="unset">{item.outcome === 'pending' ? 'Waiting to be sent to TikTok' : '—'}</span>}
                    </td>
                    <td className="audience-cell">
                      <AudienceText item={item} names={audiences} />
                    </td>
                    <td>{ACTION[item.action] ?? item.action}</td>
                    <td>
                      <When iso={item.created_at} />
                    </td>
                    <td>
                      <When iso={item.settled_at} />
                    </td>
                    <td>
                      {item.failed_attempts === 0 ? 'No failed attempts' : `${item.failed_attempts} failed`}
                      {item.last_error ? ` (last: ${item.last_error})` : ''}
                      {item.next_attempt_at ? (
                        <>
                          {' '}
                          next <When iso={item.next_attempt_at} />
                        </>
                      ) : null}
                    </td>
                    <td className="identifiers-cell">
                      <Identifiers identifiers={item.identifiers} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {items.length >= LATEST ? <p className="table-note"><small>The latest {LATEST} items.</small></p> : null}
        </div>
      )}
    </section>
  );
}

interface AudienceNames {
  account(advertiserId: string): string | null;
  /** The audience's name; undefined while unknown, null when the ad account's list does not have it. */
  audience(advertiserId: string, audienceId: string): string | null | undefined;
}

/** Names for the items' ad accounts and audiences, asked only of a live connection and only for its ad accounts (anything else is a 409 or 400). */
function useAudienceNames(items: UserSyncItem[]): AudienceNames {
  const connection = useQuery({ queryKey: CONNECTION_KEY, queryFn: () => api<Connection>('GET', '/api/partners/tiktok'), enabled: items.length > 0 });
  const advertisers = connection.data?.status === 'connected' ? connection.data.advertisers : [];
  const accountIds = distinct(items.map((i) => i.advertiser_id)).filter((id) => advertisers.some((a) => a.advertiser_id === id));
  const lists = useQueries({
    queries: accountIds.map((id) => ({ queryKey: audiencesKey(id), queryFn: () => fetchAudiences(id), staleTime: 60_000 })),
    combine: (results) => new Map<string, Audience[]>(results.flatMap((r, i) => (r.data ? [[accountIds[i]!, r.data] as const] : []))),
  });
  return {
    // TikTok may send an empty name; a person still needs something to read.
    account: (id) => advertisers.find((a) => a.advertiser_id === id)?.advertiser_name || null,
    audience: (advertiserId, audienceId) => {
      const list = lists.get(advertiserId);
      return list === undefined ? undefined : (list.find((a) => a.audience_id === audienceId)?.name ?? null);
    },
  };
}

function AudienceText({ item, names }: { item: UserSyncItem; names: AudienceNames }) {
  if (item.audience_id === null || item.advertiser_id === null) return <span className="unset">—</span>;
  const name = names.audience(item.advertiser_id, item.audience_id);
  const account = names.account(item.advertiser_id) ?? `ad account ${item.advertiser_id}`;
  return (
    <>
      <span className="audience-name">{name ?? `Audience ${item.audience_id}`}</span>
      <small className="cell-note">{name === null ? `not in ${account} any more` : `in ${account}`}</small>
    </>
  );
}

/** Which fields were sent and, while the payload is kept, each hash's first 8 hex digits. */
function Identifiers({ identifiers }: { identifiers: UserSyncItem['identifiers'] }) {
  const { fields, hashes } = identifiers;
  if (fields === null && hashes === null) return <span className="unset">Not recorded</span>;
  if (fields !== null && fields.length === 0) return <span className="unset">None (no usable identifier)</span>;
  const names = fields ?? Object.keys(hashes ?? {});
  return (
    <>
      {names.map((f) => (
        <span key={f} className="identifier">
          {f}
          {hashes?.[f] ? <code> {hashes[f]}</code> : null}{' '}
        </span>
      ))}
      {hashes === null ? <small className="unset"> Hashes are not kept once the outcome is final.</small> : null}
    </>
  );
}
