import { Command, Option } from 'commander';
import { runBench } from '../../bench/bench.ts';

type Env = Readonly<Record<string, string | undefined>>;

export function benchCommand(env: Env): Command {
  return new Command('bench')
    .description('Benchmark (spec §7): ingest, sync of a scheduled launch until TikTok (the emulator) holds everyone, and latency at 100 users/s; the last lines are JSON')
    .addOption(new Option('--users <n>', 'profiles to ingest and sync').default('1000000'))
    .addOption(new Option('--latency-users <n>', 'users triggered at 100/s in the latency scenario').default('1000'))
    .action(async (opts: { users: string; latencyUsers: string }) => {
      const users = Number(opts.users);
      const latencyUsers = Number(opts.latencyUsers);
      if (!Number.isInteger(users) || users < 1 || !Number.isInteger(latencyUsers) || latencyUsers < 1) {
        process.stderr.write('cohort bench: --users and --latency-users take whole numbers of at least 1\n');
        process.exit(1);
      }
      const lines = await runBench({ users, latencyUsers, env: { ...env }, progress: (line) => process.stderr.write(`[bench] ${line}\n`) });
      for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
    });
}
