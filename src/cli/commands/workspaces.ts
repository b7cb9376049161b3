import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
// The key format and its hash are the API's (api/auth.ts); the CLI is the other place keys are made.
import { hashApiKey, newApiKey } from '../../api/auth.ts';
import { loadConfig } from '../../config.ts';
import { openServices, createLogger } from '../../main.ts';
import { databaseOption, type Env } from '../options.ts';

/** How the dashboard's API keys page names the key this command makes. */
export const CLI_KEY_NAME = 'Created on the command line';

export function workspacesCommand(env: Env): Command {
  const workspaces = new Command('workspaces').description('Manage workspaces (the unit of isolation: profiles, canvases, API keys, TikTok connection)');
  workspaces
    .command('create')
    .description('Create a workspace and its API key; prints one JSON line {"workspace_id","api_key"} (the key is shown only this once)')
    .argument('<name>', 'the workspace name', parseName)
    .addOption(databaseOption())
    .addOption(new Option('--default-country <XX>', 'ISO 3166 alpha-2 country for phone numbers without a country code').argParser(parseCountry))
    .action(async (name: string, opts: { database?: string; defaultCountry?: string }) => {
      const config = loadConfig(env, { databaseUrl: opts.database });
      const services = await openServices(config, createLogger(config, 2));
      try {
        const workspaceId = `ws_${randomBytes(8).toString('hex')}`;
        const apiKey = newApiKey();
        const now = services.clock.now();
        await services.store.transaction(async (tx) => {
          await tx.createWorkspace({ id: workspaceId, name, defaultCountry: opts.defaultCountry ?? null }, now);
          await tx.insertApiKey({ id: `key_${randomBytes(8).toString('hex')}`, workspaceId, keyHash: hashApiKey(apiKey), name: CLI_KEY_NAME }, now);
        });
        process.stdout.write(`${JSON.stringify({ workspace_id: workspaceId, api_key: apiKey })}\n`);
      } finally {
        await services.close();
      }
    });
  return workspaces;
}

function parseName(value: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > 200) throw new InvalidArgumentError('give a name of 1 to 200 characters.');
  return name;
}

function parseCountry(value: string): string {
  if (!/^[A-Za-z]{2}$/.test(value)) throw new InvalidArgumentError('expected an ISO 3166 alpha-2 code such as US.');
  return value.toUpperCase();
}
