/**
 * `cohort members add <email> --workspace <id> --role admin|editor|viewer` (spec §5, §8): adds the
 * member if absent (an existing member keeps its role) and prints a one-time sign-in link, valid
 * 24 hours, for a workspace made on the command line. The link's token is in the fragment (#), so
 * it never reaches a server log or a Referer header; the dashboard posts it to /api/session/link.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { NotFoundError } from '../../core/errors.ts';
import { createMemberService, normaliseEmail, ROLES, SIGN_IN_LINK_TTL_MS } from '../../members/service.ts';
import { loadConfig } from '../../config.ts';
import { openServices, createLogger } from '../../main.ts';
import { SIGN_IN_LINK_PATH } from '../../api/routes/members.ts';
import type { MemberRole } from '../../store/member-port.ts';
import { databaseOption, type Env } from '../options.ts';

export function membersCommand(env: Env): Command {
  const members = new Command('members').description('Manage the members who sign in to the dashboard');
  members
    .command('add')
    .description('Add a member to a workspace (if absent) and print one JSON line with a one-time sign-in link (24 hours)')
    .argument('<email>', "the member's email", parseEmail)
    .requiredOption('--workspace <id>', 'the workspace id (cohort workspaces create)')
    .addOption(new Option('--role <role>', 'what the member may do').choices(ROLES).makeOptionMandatory())
    .addOption(databaseOption())
    .action(async (email: string, opts: { workspace: string; role: MemberRole; database?: string }) => {
      const config = loadConfig(env, { databaseUrl: opts.database });
      const services = await openServices(config, createLogger(config, 2));
      try {
        if (!(await services.store.getWorkspace(opts.workspace))) throw new NotFoundError('workspace_not_found', `no workspace ${opts.workspace}`);
        const service = createMemberService({ store: services.store, clock: services.clock });
        const { member, created, linkToken } = await service.invite(opts.workspace, email, opts.role);
        const origin = (config.publicUrl ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
        const expiresAt = new Date(services.clock.now() + SIGN_IN_LINK_TTL_MS).toISOString();
        process.stdout.write(`${JSON.stringify({ workspace_id: member.workspaceId, email: member.email, role: member.role, created, sign_in_link: `${origin}${SIGN_IN_LINK_PATH}#${linkToken}`, expires_at: expiresAt })}\n`);
      } finally {
        await services.close();
      }
    });
  return members;
}

function parseEmail(value: string): string {
  const email = normaliseEmail(value);
  if (email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) throw new InvalidArgumentError('expected an email address such as ann@example.com.');
  return email;
}
