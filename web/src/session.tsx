/**
 * Who is signed in. GET /api/session answers the member, the workspace and the CSRF token, or 401; the
 * token is handed to the API client so that every state-changing request carries it (spec §8).
 * Pages behind RequireSession render inside the shell; without a session the visitor goes to first-run
 * setup (no member exists yet) or to sign-in, and comes back to the page asked for.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, ApiError, setCsrfToken } from './api/client.ts';
import type { Role, Session } from './api/types.ts';

export const SESSION_KEY = ['session'] as const;

async function fetchSession(): Promise<Session | null> {
  try {
    const session = await api<Session>('GET', '/api/session');
    setCsrfToken(session.csrf_token);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000, retry: false });
}

/** The signed-in session; only for components under RequireSession. */
export function useSignedIn(): Session {
  const { data } = useSession();
  if (!data) throw new Error('useSignedIn outside RequireSession');
  return data;
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };
/** Whether the member's role reaches `needed` (the API enforces the same rule; the UI hides what it would refuse). */
export const can = (session: Session, needed: Role): boolean => RANK[session.member.role] >= RANK[needed];

/** After sign-in or setup: remember the session the server answered, without another round trip. */
export function useAcceptSession(): (session: Session) => void {
  const client = useQueryClient();
  return (session) => {
    setCsrfToken(session.csrf_token);
    client.setQueryData(SESSION_KEY, session);
  };
}

export function useSetupNeeded(enabled: boolean) {
  return useQuery({ queryKey: ['setup'], queryFn: () => api<{ needed: boolean }>('GET', '/api/setup'), enabled, retry: false });
}

export function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  const setup = useSetupNeeded(session.isSuccess && session.data === null);
  if (session.isError) return <p role="alert">Cohort did not answer: {session.error.message}</p>;
  if (session.isPending) return <p className="loading">Loading…</p>;
  if (session.data) return children;
  if (setup.isPending) return <p className="loading">Loading…</p>;
  if (setup.data?.needed) return <Navigate to="/setup" replace />;
  const next = `${location.pathname}${location.search}`;
  return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
}

/** Only a same-site path is followed after sign-in (never `//evil.example` or a full URL). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/canvases';
}
