/**
 * The canvases (spec §8 "canvases"): **New canvas** for editors and admins, and a table with **Name**
 * (a link to the canvas), **Status** and **Last edited**, newest first, a page at a time (Load more).
 * An active canvas with an Audience Sync step is marked when the TikTok token is invalid: its users
 * wait until an admin reconnects.
 */
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api, seg } from '../api/client.ts';
import type { Canvas, CanvasBody, Connection } from '../api/types.ts';
import '../canvas/canvas.css';
import { STATUS_WORDS } from '../canvas/model.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { can, useSignedIn } from '../session.tsx';

const PAGE_SIZE = 50;
const NEW_CANVAS: CanvasBody = { name: 'Untitled canvas', entry: { type: 'api' }, audience: null, first_step: null, steps: [] };

export function CanvasesPage() {
  usePageTitle('Canvases');
  const session = useSignedIn();
  const navigate = useNavigate();
  const editor = can(session, 'editor');

  const list = useInfiniteQuery({
    queryKey: ['canvases', 'list'],
    queryFn: ({ pageParam }) =>
      api<{ canvases: Canvas[]; next_cursor: string | null }>('GET', `/api/canvases?limit=${PAGE_SIZE}${pageParam ? `&cursor=${seg(pageParam)}` : ''}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const canvases = list.data?.pages.flatMap((p) => p.canvases) ?? [];
  const syncing = (c: Canvas) => c.status === 'active' && c.steps.some((s) => s.type === 'audience_sync');
  // Only asked when it matters: an active canvas that syncs to TikTok.
  const connection = useQuery({
    queryKey: ['partners', 'tiktok'],
    queryFn: () => api<Connection>('GET', '/api/partners/tiktok'),
    enabled: canvases.some(syncing),
  });
  const tokenInvalid = connection.data?.status === 'invalid_token';

  const create = useMutation({
    mutationFn: () => api<Canvas>('POST', '/api/canvases', NEW_CANVAS),
    onSuccess: (canvas) => void navigate(`/canvases/${seg(canvas.id)}`),
  });

  // Relative to when the list was fetched (render stays pure): close enough for "5 minutes ago".
  const now = list.dataUpdatedAt;
  return (
    <div className="canvases">
      <div className="canvases-head">
        <h1>Canvases</h1>
        {editor ? (
          <button type="button" onClick={() => create.mutate()} disabled={create.isPending}>
            New canvas
          </button>
        ) : null}
      </div>
      <ErrorAlert error={create.error} prefix="The canvas was not created" />
      <ErrorAlert error={list.error} prefix="The canvases could not be loaded" />
      {tokenInvalid ? (
        <p className="alert error" role="alert">
          The TikTok token is invalid: active canvases marked below cannot sync until an admin reconnects on the <Link to="/partners/tiktok">TikTok page</Link>.
        </p>
      ) : null}
      {list.isPending ? <p className="loading">Loading…</p> : null}
      {list.isSuccess && canvases.length === 0 ? (
        <div className="card empty">
          <p>
            <strong>No canvases yet.</strong>
          </p>
          <p>
            {editor
              ? 'A canvas is a journey: who enters, and the steps they go through, such as an Audience Sync to a TikTok audience. Choose New canvas to start one.'
              : 'An editor or admin of this workspace creates them; they will be listed here.'}
          </p>
        </div>
      ) : null}
      {canvases.length > 0 ? (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Canvases, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Last edited</th>
              </tr>
            </thead>
            <tbody>
              {canvases.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/canvases/${seg(c.id)}`}>{c.name}</Link>
                  </td>
                  <td>
                    <span className={`badge status-${c.status}`}>{STATUS_WORDS[c.status]}</span>
                    {tokenInvalid && syncing(c) ? <span className="badge error">TikTok token invalid</span> : null}
                  </td>
                  <td>{c.updated_at ? <RelativeTime iso={c.updated_at} now={now} /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.hasNextPage ? (
        <p>
          <button type="button" className="secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </p>
      ) : null}
    </div>
  );
}
