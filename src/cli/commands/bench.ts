import { Command, Option } from 'commander';
import { runBench } from '../../bench/bench.ts';

type Env = Readonly<Record<string, string | undefined>>;

export function benchCommand(env: Env): Command {
  return new Command('bench')
    .description('Benchmark (spec §7): ingest, sync of a scheduled launch until TikTok (the emulator) holds everyone, latency at 100 users/s, and the storage used; the last lines are JSON')
    .addOption(new Option('--users <n>', 'profiles to ingest and sync').default('1000000'))
    .addOption(new Option('--latency-users <n>', 'users triggered at 100/s in the latency scenario').default('1000'))
    .addOption(new Option('--database <url>', 'postgres://… : a fresh database it creates and drops (URL without a database, or naming one that does not exist), or an empty one it uses and leaves [default: a fresh SQLite file]'))
    .addOption(new Option('--workers <n>', 'run one cohort serve --role api and n --role worker processes [default: one --role all process]'))
    .action(async (opts: { users: string; latencyUsers: string; database?: string; workers?: string }) => {
      const users = Number(opts.users);
      const latencyUsers = Number(opts.latencyUsers);
      const workers = opts.workers === undefined ? undefined : Number(opts.workers);
      if (!Number.isInteger(users) || users < 1 || !Number.isInteger(latencyUsers) || latencyUsers < 1 || (workers !== undefined && (!Number.isInteger(workers) || workers < 1))) {
        process.stderr.write('cohort bench: --users, --latency-users and --workers take whole numbers of at least 1\n');
        process.exit(1);
      }
      // ctrl-C (or SIGTERM) stops the processes and removes the bench's database before exiting; a second one exits at once.
      const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
      const interrupt = new AbortController();
      const onSignal = () => {
        progress('interrupted: stopping the processes and removing the bench database (a second ctrl-C exits at once and leaves them)');
        interrupt.abort();
      };
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      try {
        const lines = await runBench({ users, latencyUsers, database: opts.database, workers, env: { ...env }, progress, signal: interrupt.signal });
        for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
      } catch (error) {
        if (!interrupt.signal.aborted) throw error;
        progress('interrupted: done');
        process.exit(130);
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      }
    });
}
