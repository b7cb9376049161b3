/**
 * Invite member (spec §8 "members"): an email and a role give a one-time sign-in link. The server
 * answers it once and keeps only its hash, so it is shown once here, in full (this origin + the path
 * the API answers, the code after `#`), with a copy button.
 */
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { Invitation, Role } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';

export const ROLE_WORD: Record<Role, string> = { admin: 'Admin', editor: 'Editor', viewer: 'Viewer' };

export function InviteForm({ onInvited, onCancel }: { onInvited: (i: Invitation) => void; onCancel: () => void }) {
  const [email, setEmail] = useState('');
  // The least power by default: an admin raises it on purpose.
  const [role, setRole] = useState<Role>('viewer');
  const emailField = useRef<HTMLInputElement>(null);
  const id = useId();
  const invite = useMutation({ mutationFn: () => api<Invitation>('POST', '/api/members', { email: email.trim(), role }), onSuccess: onInvited });
  useEffect(() => emailField.current?.focus(), []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  return (
    <form className="card invite-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invite member</h2>
      <div className="stack">
        <label htmlFor={`${id}-email`}>Email</label>
        <input ref={emailField} id={`${id}-email`} type="email" required maxLength={254} autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby={`${id}-roles`}>
          <option value="viewer">{ROLE_WORD.viewer}</option>
          <option value="editor">{ROLE_WORD.editor}</option>
          <option value="admin">{ROLE_WORD.admin}</option>
        </select>
        <small id={`${id}-roles`}>Viewers read. Editors also edit, launch and stop canvases. Admins also connect TikTok and manage members.</small>
      </div>
      <ErrorAlert error={invite.error} prefix="No link was made" />
      <p className="row">
        <button type="submit" disabled={invite.isPending}>
          {invite.isPending ? 'Creating…' : 'Create sign-in link'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </form>
  );
}

export function SignInLink({ invitation, onDone }: { invitation: Invitation; onDone: () => void }) {
  const link = `${window.location.origin}${invitation.sign_in_path}`;
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();
  useEffect(() => heading.current?.focus(), []);
  const { member, created } = invitation;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('yes');
    } catch {
      // No clipboard (a page over plain http on another host, or permission refused): select it for Ctrl+C.
      field.current?.select();
      setCopied('no');
    }
  };
  return (
    <section className="card sign-in-link" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        Sign-in link for {member.email}
      </h2>
      <p>
        {created
          ? `Send this link to ${member.email}: it signs them in as ${ROLE_WORD[member.role].toLowerCase()}.`
          : `${member.email} is already a member (${ROLE_WORD[member.role].toLowerCase()}); this link signs them in, and their role stays as it is.`}
      </p>
      <div className="link-field">
        <label htmlFor={`${id}-link`}>Sign-in link</label>
        <input ref={field} id={`${id}-link`} type="text" readOnly value={link} onFocus={(e) => e.target.select()} />
      </div>
      <p className="row">
        <button type="button" onClick={() => void copy()}>
          Copy link
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
      </p>
      <p role="status">{copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Your browser did not let the page copy: the link is selected, press Ctrl+C (⌘C on a Mac).' : ''}</p>
      <p className="alert warn">
        It works once, for 24 hours (until {new Date(invitation.expires_at).toLocaleString()}). This is the only time Cohort shows it: copy it now.
      </p>
    </section>
  );
}
