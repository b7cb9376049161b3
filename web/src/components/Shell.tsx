/** The frame around every signed-in page: where you are, where you can go, and Sign out. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, NavLink, useNavigate } from 'react-router';
import { api, setCsrfToken } from '../api/client.ts';
import { can, useSignedIn } from '../session.tsx';

export function Shell({ children }: { children: ReactNode }) {
  const session = useSignedIn();
  const client = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => api<null>('DELETE', '/api/session'),
    onSettled: () => {
      setCsrfToken(null);
      client.clear();
      void navigate('/signin', { replace: true });
    },
  });
  return (
    <div className="shell">
      <header className="topbar">
        <Link className="brand" to="/canvases">
          Cohort
        </Link>
        <nav aria-label="Main">
          <NavLink to="/canvases">Canvases</NavLink>
          <NavLink to="/partners/tiktok">TikTok</NavLink>
          <NavLink to="/users">Users</NavLink>
          {can(session, 'admin') ? (
            <>
              <NavLink to="/settings/members">Members</NavLink>
              <NavLink to="/settings/api-keys">API keys</NavLink>
            </>
          ) : null}
        </nav>
        <div className="who">
          <span className="workspace" title="Workspace">
            {session.workspace.name}
          </span>
          <span className="member">
            {session.member.email} · {session.member.role}
          </span>
          <button type="button" className="secondary" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{children}</main>
    </div>
  );
}
