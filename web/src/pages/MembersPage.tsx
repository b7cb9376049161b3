/**
 * Members of the workspace (spec §8 "members"): who can sign in and with which role, Invite member (a
 * one-time sign-in link, shown once), a role per member (MemberRoleEditor), Remove. Admins only: the API answers 403 to anyone else, so for
 * them the page says so without asking it.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api, seg } from '../api/client.ts';
import type { Invitation, Member } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { can, useSignedIn } from '../session.tsx';
import { MemberRoleEditor } from './MemberRoleEditor.tsx';
import { InviteForm, ROLE_WORD, SignInLink } from './MembersInvite.tsx';
import './members.css';

const MEMBERS_KEY = ['members'] as const;

export function MembersPage() {
  usePageTitle('Members');
  const session = useSignedIn();
  if (!can(session, 'admin')) {
    return (
      <div className="members-page">
        <h1>Members</h1>
        <p className="alert warn">Only admins manage members. Ask an admin of this workspace to invite someone or to change a role.</p>
      </div>
    );
  }
  return <MembersAdmin me={session.member.email} />;
}

function MembersAdmin({ me }: { me: string }) {
  const client = useQueryClient();
  const members = useQuery({ queryKey: MEMBERS_KEY, queryFn: () => api<{ members: Member[] }>('GET', '/api/members') });
  const [inviting, setInviting] = useState(false);
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  const [roleChanged, setRoleChanged] = useState<Member | null>(null);
  const inviteButton = useRef<HTMLButtonElement>(null);

  const invited = (i: Invitation) => {
    setInviting(false);
    setInvitation(i);
    setRemoved(null);
    void client.invalidateQueries({ queryKey: MEMBERS_KEY });
  };

  return (
    <div className="members-page">
      <h1>Members</h1>
      <p className="members-lede">People who sign in to this workspace. Viewers read; editors also edit, launch and stop canvases; admins also connect TikTok and manage members.</p>
      {invitation ? (
        <SignInLink
          invitation={invitation}
          onDone={() => {
            setInvitation(null);
            inviteButton.current?.focus();
          }}
        />
      ) : null}
      {inviting ? (
        <InviteForm
          onInvited={invited}
          onCancel={() => {
            setInviting(false);
            inviteButton.current?.focus();
          }}
        />
      ) : (
        <p>
          <button
            ref={inviteButton}
            type="button"
            onClick={() => {
              setInviting(true);
              setInvitation(null);
            }}
          >
            Invite member
          </button>
        </p>
      )}
      <div role="status">
        {removed ? <p className="alert ok">Removed {removed}. Their sessions and unused sign-in links no longer work.</p> : null}
        {roleChanged ? (
          <p className="alert ok">
            {roleChanged.email} is now {ROLE_WORD[roleChanged.role]}.
          </p>
        ) : null}
      </div>
      {members.isPending ? <p className="loading">Loading…</p> : null}
      <ErrorAlert error={members.error} prefix="The members could not be loaded" />
      {members.data ? (
        <div className="table-scroll">
          <table className="members-table">
            <caption className="visually-hidden">Members of this workspace</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.members.map((m) => (
                <MemberRow
                  key={m.id}
                  member={m}
                  isMe={m.email.toLowerCase() === me.toLowerCase()}
                  onRefused={() => void client.invalidateQueries({ queryKey: MEMBERS_KEY })}
                  onRoleChanged={(changed) => {
                    setRoleChanged(changed);
                    setRemoved(null);
                    void client.invalidateQueries({ queryKey: MEMBERS_KEY });
                  }}
                  onRemoved={() => {
                    setRemoved(m.email);
                    setRoleChanged(null);
                    setInvitation(null);
                    void client.invalidateQueries({ queryKey: MEMBERS_KEY });
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

function MemberRow({ member, isMe, onRemoved, onRoleChanged, onRefused }: { member: Member; isMe: boolean; onRemoved: () => void; onRoleChanged: (m: Member) => void; onRefused: () => void }) {
  const remove = useMutation({ mutationFn: () => api<null>('DELETE', `/api/members/${seg(member.id)}`), onSuccess: onRemoved });
  const emailId = `member-${member.id}`;
  return (
    <tr>
      <td id={emailId} className="member-email">
        <EmailText email={member.email} />
        {isMe ? <small> (you)</small> : null}
      </td>
      <td>
        {/* Keyed by role: after a save (or another admin's change) the select starts from the stored role. */}
        <MemberRoleEditor key={member.role} member={member} isMe={isMe} onChanged={onRoleChanged} onRefused={onRefused} />
      </td>
      <td className="member-actions">
        {/* Not for yourself: removing your own membership would sign you out mid-page (another admin can). */}
        {isMe ? null : (
          <ConfirmAction label="Remove" question={`Remove ${member.email}? They are signed out at once.`} describedBy={emailId} mutation={remove} failed="Not removed" className="confirm-remove" />
        )}
      </td>
    </tr>
  );
}

/** An address that may wrap on a phone wraps after its @ rather than mid-word. */
function EmailText({ email }: { email: string }) {
  const at = email.lastIndexOf('@');
  if (at <= 0) return <>{email}</>;
  return (
    <>
      {email.slice(0, at)}
      <wbr />
      {email.slice(at)}
    </>
  );
}
