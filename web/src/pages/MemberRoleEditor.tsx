/**
 * A member's role on the members page (issue 19 item 7): a select labelled "Role for <email>" and a
 * Save role button that appears once the choice differs. The server refuses to demote the last admin
 * (409, in words); that refusal shows beside the select. Demoting yourself re-reads the session, so
 * the page stops offering what you may no longer do.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, seg } from '../api/client.ts';
import type { Member, Role } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { SESSION_KEY } from '../session.tsx';
import { ROLE_WORD } from './MembersInvite.tsx';

const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

export function MemberRoleEditor({ member, isMe, onChanged, onRefused }: { member: Member; isMe: boolean; onChanged: (m: Member) => void; onRefused: () => void }) {
  const client = useQueryClient();
  const [role, setRole] = useState<Role>(member.role);
  const id = useId();
  const save = useMutation({
    mutationFn: (next: Role) => api<Member>('PATCH', `/api/members/${seg(member.id)}`, { role: next }),
    onSuccess: (m) => {
      // Stepping down: re-read the session only; the members list would now answer 403.
      if (isMe && m.role !== 'admin') void client.invalidateQueries({ queryKey: SESSION_KEY });
      else onChanged(m);
    },
    // Refused (another admin changed something meanwhile): show the roles as they are now.
    onError: onRefused,
  });
  const changed = role !== member.role;
  return (
    <form
      className="member-role"
      onSubmit={(e) => {
        e.preventDefault();
        if (changed) save.mutate(role);
      }}
    >
      <select
        id={id}
        aria-label={`Role for ${member.email}`}
        value={role}
        onChange={(e) => {
          setRole(e.target.value as Role);
          save.reset();
        }}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_WORD[r]}
          </option>
        ))}
      </select>
      {changed ? (
        <button type="submit" disabled={save.isPending} aria-describedby={id}>
          Save role
        </button>
      ) : null}
      <ErrorAlert error={save.error} prefix="Role not changed" />
    </form>
  );
}
