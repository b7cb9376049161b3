import { Command, Option } from 'commander';
import { loadConfig } from '../../config.ts';
import { ROLES, runServe, type Role } from '../../main.ts';
import { databaseOption, type Env } from '../options.ts';

export function serveCommand(env: Env): Command {
  return new Command('serve')
    .description('Run Cohort: the HTTP API (role api), the workers (role worker), or both (all). Stops cleanly on SIGINT/SIGTERM.')
    .addOption(new Option('--port <port>', 'port to listen on (0 = any free port) [env COHORT_PORT, default 8080]'))
    .addOption(databaseOption())
    .addOption(new Option('--role <role>', 'what this process runs').choices(ROLES).default('all'))
    .action(async (opts: { port?: string; database?: string; role: Role }) => {
      const config = loadConfig(env, { port: opts.port, databaseUrl: opts.database });
      const server = await runServe(config, opts.role);
      await server.stopped;
      process.exit(0);
    });
}
