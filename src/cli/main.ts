/**
 * `cohort <command>`: the command line. Each command lives in cli/commands/ and receives the settings
 * loaded once here (flags, then environment, then defaults: src/config.ts).
 */
import { Command, CommanderError } from 'commander';
import { CohortError, ConfigError } from '../core/errors.ts';
import { importCommand } from './commands/import.ts';
import { membersCommand } from './commands/members.ts';
import { serveCommand } from './commands/serve.ts';
import { benchCommand } from './commands/bench.ts';
import { tiktokEmulatorCommand } from './commands/tiktok-emulator.ts';
import { workspacesCommand } from './commands/workspaces.ts';

const program = new Command('cohort')
  .description('Cohort: customer journeys with Audience Sync to TikTok custom audiences')
  .showHelpAfterError()
  .exitOverride();

program.addCommand(serveCommand(process.env));
program.addCommand(tiktokEmulatorCommand(process.env));
program.addCommand(benchCommand(process.env));
program.addCommand(workspacesCommand(process.env));
program.addCommand(membersCommand(process.env));
program.addCommand(importCommand(process.env));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError) {
    process.stderr.write(`cohort: ${error.message}\n`);
    process.exit(78);
  }
  if (error instanceof CohortError) {
    // Expected failures (unknown workspace, unreadable file, database unavailable): one line, no stack.
    process.stderr.write(`cohort: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
