/**
 * Partners → TikTok (spec §8 "partner"): the connection's status in words, Connect TikTok (TikTok's
 * consent page, whose callback comes back here with `?connected=1` or `?error=<code>`), the granted ad
 * accounts to pick, Disconnect, and Reconnect when TikTok stopped accepting the token. Only admins
 * connect, disconnect and pick (the API refuses others): for everyone else those controls are absent.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import type { Connection } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { can, useSignedIn } from '../session.tsx';
import { AdAccounts, CONNECTION_KEY } from './PartnerAdAccounts.tsx';
import { callbackErrorText, statusReasonText } from './partner-words.ts';
import './partner.css';

const STATUS_WORD: Record<Connection['status'], string> = { connected: 'Connected', invalid_token: 'Invalid token', disconnected: 'Not connected' };
const STATUS_BADGE: Record<Connection['status'], string> = { connected: 'badge ok', invalid_token: 'badge error', disconnected: 'badge' };

type Notice = { kind: 'ok' | 'error'; text: string } | null;

/** What the OAuth callback's redirect says, read once: the query is then removed so a reload does not repeat it. */
function useCallbackNotice(): [Notice, (n: Notice) => void] {
  const [params, setParams] = useSearchParams();
  const [notice, setNotice] = useState<Notice>(() => {
    const error = params.get('error');
    if (error !== null) return { kind: 'error', text: callbackErrorText(error) };
    if (params.get('connected') === '1') return { kind: 'ok', text: 'TikTok is connected. Pick the ad accounts Cohort may sync to, then Save ad accounts.' };
    return null;
  });
  const fromCallback = params.has('error') || params.has('connected');
  useEffect(() => {
    if (fromCallback) setParams(new URLSearchParams(), { replace: true });
  }, [fromCallback, setParams]);
  return [notice, setNotice];
}

export function PartnerPage() {
  usePageTitle('TikTok');
  const session = useSignedIn();
  const admin = can(session, 'admin');
  const client = useQueryClient();
  const [notice, setNotice] = useCallbackNotice();
  const connection = useQuery({ queryKey: CONNECTION_KEY, queryFn: () => api<Connection>('GET', '/api/partners/tiktok') });

  const connect = useMutation({
    mutationFn: () => api<{ authorize_url: string }>('POST', '/api/partners/tiktok/connect'),
    // TikTok's consent page; its callback brings the browser back here.
    onSuccess: ({ authorize_url }) => window.location.assign(authorize_url),
  });
  const disconnect = useMutation({
    mutationFn: () => api<Connection>('DELETE', '/api/partners/tiktok'),
    onSuccess: (c) => {
      client.setQueryData(CONNECTION_KEY, c);
      setNotice({ kind: 'ok', text: 'TikTok is disconnected: Cohort no longer syncs to it and its token is erased. Connect TikTok again to resume.' });
    },
  });

  return (
    <div className="partner-page">
      <h1>TikTok</h1>
      <p className="partner-lede">Audience Sync steps add users to (or remove them from) TikTok audiences in the ad accounts picked here.</p>
      {connection.data?.emulator ? (
        <p className="alert warn emulator-note">
          <strong>Built-in TikTok emulator — no data reaches TikTok.</strong> This Cohort runs without TIKTOK_APP_ID / TIKTOK_APP_SECRET, so it talks to a TikTok
          emulator inside Cohort, and every workspace here connects to the same sample ad accounts.
        </p>
      ) : null}
      {notice ? (
        <p className={`alert ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
          {notice.text}
        </p>
      ) : null}
      {connection.isPending ? <p className="loading">Loading…</p> : null}
      <ErrorAlert error={connection.error} prefix="The TikTok connection could not be loaded" />
      {connection.data ? (
        <ConnectionView
          c={connection.data}
          admin={admin}
          connecting={connect.isPending || connect.isSuccess}
          onConnect={() => {
            setNotice(null);
            connect.mutate();
          }}
          connectError={connect.error}
          disconnecting={disconnect.isPending}
          onDisconnect={() => {
            setNotice(null);
            disconnect.mutate();
          }}
          disconnectError={disconnect.error}
        />
      ) : null}
    </div>
  );
}

interface ViewProps {
  c: Connection;
  admin: boolean;
  connecting: boolean;
  onConnect: () => void;
  connectError: unknown;
  disconnecting: boolean;
  onDisconnect: () => void;
  disconnectError: unknown;
}

function ConnectionView({ c, admin, connecting, onConnect, connectError, disconnecting, onDisconnect, disconnectError }: ViewProps) {
  const linked = c.status !== 'disconnected';
  return (
    <>
      <section className="card" aria-labelledby="partner-connection">
        <h2 id="partner-connection">Connection</h2>
        <p className="partner-status">
          Status: <span className={STATUS_BADGE[c.status]}>{STATUS_WORD[c.status]}</span>
        </p>
        {c.status_reason ? <p className="partner-reason">{statusReasonText(c.status_reason)}</p> : null}
        {c.status === 'invalid_token' ? (
          <div className="alert error" role="alert">
            <p>
              TikTok no longer accepts this workspace&apos;s token, so syncing to TikTok is paused. Nothing is lost: users waiting to be synced stay pending and are
              sent once TikTok is reconnected.
            </p>
            <p>{admin ? 'Reconnect TikTok to resume.' : 'An admin of this workspace must reconnect TikTok to resume.'}</p>
          </div>
        ) : null}
        {c.status === 'disconnected' ? (
          <p>{admin ? 'Connect TikTok to sync users to its audiences.' : 'An admin of this workspace can connect TikTok.'}</p>
        ) : null}
        {admin && c.status !== 'connected' ? (
          <div className="row">
            <button type="button" onClick={onConnect} disabled={connecting}>
              {c.status === 'invalid_token' ? 'Reconnect' : 'Connect TikTok'}
            </button>
            {connecting ? <span className="partner-hint">Opening TikTok…</span> : null}
          </div>
        ) : null}
        <ErrorAlert error={connectError} prefix="TikTok could not be connected" />
        {admin && linked ? <DisconnectControl busy={disconnecting} onConfirm={onDisconnect} error={disconnectError} /> : null}
      </section>
      {linked ? (
        <section className="card" aria-labelledby="partner-accounts">
          <h2 id="partner-accounts">Ad accounts</h2>
          <AdAccounts advertisers={c.advertisers} admin={admin} />
        </section>
      ) : null}
    </>
  );
}

/** Disconnect stops syncing for every canvas of the workspace, so it asks first (Confirm / Cancel). */
function DisconnectControl({ busy, onConfirm, error }: { busy: boolean; onConfirm: () => void; error: unknown }) {
  const [asking, setAsking] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const disconnectRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    // Focus follows the question: onto its safe answer when it opens, back to Disconnect when cancelled.
    if (asking) cancelRef.current?.focus();
    else if (wasAsking.current) disconnectRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  return (
    <div className="partner-disconnect">
      {asking ? (
        <div className="confirm" role="group" aria-labelledby="disconnect-question" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
          <p id="disconnect-question">
            Disconnect TikTok? Cohort stops syncing to TikTok for every canvas of this workspace and erases its token; the ad account choices are forgotten.
          </p>
          <div className="row">
            <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
              Confirm
            </button>
            <button type="button" className="secondary" ref={cancelRef} onClick={() => setAsking(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button type="button" className="secondary" ref={disconnectRef} onClick={() => setAsking(true)}>
          Disconnect
        </button>
      )}
      <ErrorAlert error={error} prefix="TikTok was not disconnected" />
    </div>
  );
}
