import { Command } from 'commander';

const program = new Command('cohort').description('Cohort: journeys with Audience Sync to TikTok').showHelpAfterError();
await program.parseAsync(process.argv);
