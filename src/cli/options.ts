/** Options several commands share, spelled once. */
import { Option } from 'commander';

export type Env = Readonly<Record<string, string | undefined>>;

export const databaseOption = (): Option =>
  new Option('--database <url>', 'a SQLite file path or postgres://… [env COHORT_DATABASE_URL, default ./data/cohort.db]');
