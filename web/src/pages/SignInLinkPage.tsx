/**
 * A one-time sign-in link (`/signin/link#<token>`, from `cohort members add` or Invite member). The token
 * is in the fragment, so it never reaches a server log or a Referer; it is spent only when the person
 * presses Continue (a link preview that merely opens the page does not use it up).
 */
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../api/client.ts';
import type { Session } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { useAcceptSession } from '../session.tsx';

export function SignInLinkPage() {
  usePageTitle('Sign in with a link');
  const [token] = useState(() => window.location.hash.slice(1));
  const accept = useAcceptSession();
  const navigate = useNavigate();
  const use = useMutation({
    mutationFn: () => api<Session>('POST', '/api/session/link', { token }),
    onSuccess: (s) => {
      accept(s);
      window.history.replaceState(null, '', '/signin/link');
      void navigate('/canvases', { replace: true });
    },
  });
  const error = use.error instanceof ApiError && use.error.status === 401 ? new Error('This sign-in link is not valid: it was used already, has expired (24 hours), or was copied incompletely. Ask an admin for a new one.') : use.error;
  return (
    <main className="narrow" id="main">
      <p className="wordmark">Cohort</p>
      <h1>Sign in to Cohort</h1>
      {token ? (
        <>
          <p>This one-time link signs you in. It works once.</p>
          <ErrorAlert error={error} />
          <button type="button" onClick={() => use.mutate()} disabled={use.isPending || use.isError}>
            Continue
          </button>
        </>
      ) : (
        <p role="alert">This link has no sign-in token. Copy the whole link, including the part after #.</p>
      )}
      <p>
        <a href="/signin">Sign in with a password instead</a>
      </p>
    </main>
  );
}
