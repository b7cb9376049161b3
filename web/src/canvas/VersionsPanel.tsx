/**
 * **Versions** (issue 19): every saved version of the canvas, newest first, with when and by whom it
 * was saved and how many users are in the canvas on it right now (users keep the version they entered
 * with). Names are shown as text.
 */
import { useQuery } from '@tanstack/react-query';
import { api, seg } from '../api/client.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';

export interface CanvasVersion {
  version: number;
  saved_at: string;
  saved_by: string | null;
  users_in: number;
}

export const versionsKey = (canvasId: string) => ['canvases', 'versions', canvasId] as const;

export function VersionsPanel({ canvasId, current }: { canvasId: string; current: number }) {
  const query = useQuery({
    // `current` in the key: a save that made a new version reads the list again.
    queryKey: [...versionsKey(canvasId), current],
    queryFn: () => api<{ versions: CanvasVersion[] }>('GET', `/api/canvases/${seg(canvasId)}/versions`),
  });
  return (
    <section className="versions" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      {query.isPending ? <p className="loading">Loading…</p> : null}
      {query.isError ? <ErrorAlert error={query.error} prefix="The versions could not be loaded" /> : null}
      {query.data ? (
        <div className="table-scroll">
          <table aria-labelledby="versions-heading">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Saved</th>
                <th scope="col">Saved by</th>
                <th scope="col">Users in</th>
              </tr>
            </thead>
            <tbody>
              {query.data.versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    {v.version}
                    {v.version === current ? <span className="badge">latest</span> : null}
                  </td>
                  <td>
                    <RelativeTime iso={v.saved_at} now={query.dataUpdatedAt} />
                  </td>
                  <td className="saved-by">{v.saved_by ?? <span className="note">unknown</span>}</td>
                  <td>{v.users_in.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
