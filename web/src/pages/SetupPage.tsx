/** First run (spec §8 /setup): create the first workspace and its admin, then straight in. */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import type { Session } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { useAcceptSession, useSetupNeeded } from '../session.tsx';

export function SetupPage() {
  usePageTitle('Set up Cohort');
  const needed = useSetupNeeded(true);
  const accept = useAcceptSession();
  const navigate = useNavigate();
  const [workspace, setWorkspace] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const setup = useMutation({
    mutationFn: () => api<Session>('POST', '/api/setup', { workspace_name: workspace, email, password }),
    onSuccess: (session) => {
      accept(session);
      void navigate('/partners/tiktok', { replace: true });
    },
  });
  if (needed.data && !needed.data.needed && !setup.isSuccess) return <Navigate to="/signin" replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setup.mutate();
  };
  return (
    <main className="narrow" id="main">
      <p className="wordmark">Cohort</p>
      <h1>Set up Cohort</h1>
      <p>Create your workspace and its first admin. You can invite the rest of your team afterwards.</p>
      <form onSubmit={submit} className="stack">
        <label htmlFor="setup-workspace">Workspace name</label>
        <input id="setup-workspace" required maxLength={200} value={workspace} onChange={(e) => setWorkspace(e.target.value)} autoComplete="organization" />
        <label htmlFor="setup-email">Email</label>
        <input id="setup-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
        <label htmlFor="setup-password">Password</label>
        <input id="setup-password" type="password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" aria-describedby="setup-password-hint" />
        <small id="setup-password-hint">At least 8 characters.</small>
        <ErrorAlert error={setup.error} />
        <button type="submit" disabled={setup.isPending}>
          Create workspace
        </button>
      </form>
    </main>
  );
}
