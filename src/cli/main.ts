/**
 * `cohort <command>`: the command line. Each command lives in cli/commands/ and receives the settings
 * loaded once here (flags, then environment, then defaults: src/config.ts).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/errors.ts';
import { tiktokEmulatorCommand } from './commands/tiktok-emulator.ts';

const program = new Command('cohort')
  .description('Cohort: customer journeys with Audience Sync to TikTok custom audiences')
  .showHelpAfterError()
  .exitOverride();

program.addCommand(tiktokEmulatorCommand(process.env));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError) {
    process.stderr.write(`cohort: ${error.message}\n`);
    process.exit(78);
  }
  throw error;
}
