/** Sign in (spec §8 /signin), then back to the page that was asked for. */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client.ts';
import type { Session } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { safeNext, useAcceptSession, useSession, useSetupNeeded } from '../session.tsx';

export function SignInPage() {
  usePageTitle('Sign in');
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const session = useSession();
  const setup = useSetupNeeded(true);
  const accept = useAcceptSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => api<Session>('POST', '/api/session', { email, password }),
    onSuccess: (s) => {
      accept(s);
      void navigate(next, { replace: true });
    },
  });
  if (session.data) return <Navigate to={next} replace />;
  if (setup.data?.needed) return <Navigate to="/setup" replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  const error = signIn.error instanceof ApiError && signIn.error.status === 401 ? new Error('That email and password do not match a member.') : signIn.error;
  return (
    <main className="narrow" id="main">
      <p className="wordmark">Cohort</p>
      <h1>Sign in to Cohort</h1>
      <form onSubmit={submit} className="stack">
        <label htmlFor="signin-email">Email</label>
        <input id="signin-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" />
        <label htmlFor="signin-password">Password</label>
        <input id="signin-password" type="password" required value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        <ErrorAlert error={error} />
        <button type="submit" disabled={signIn.isPending}>
          Sign in
        </button>
      </form>
    </main>
  );
}
