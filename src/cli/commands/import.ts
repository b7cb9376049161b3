import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../config.ts';
import { CohortError } from '../../core/errors.ts';
import { formatOf, importProfiles, readRows, type ImportCounters } from '../../ingest/import.ts';
import { createLogger, openServices } from '../../main.ts';
import { databaseOption, type Env } from '../options.ts';

/** Row errors printed one by one; the rest are only counted. */
const SHOWN_ERRORS = 10;

export function importCommand(env: Env): Command {
  return new Command('import')
    .description(
      'Bulk upsert profiles from a CSV file (header row, external_id column required; an empty cell keeps the attribute) ' +
        'or a JSON Lines file (one /users/track attributes object per line). Prints {"imported","errors","seconds"}.',
    )
    .argument('<file>', 'a .csv or .jsonl file')
    .requiredOption('--workspace <id>', 'the workspace to import into')
    .addOption(databaseOption())
    .addOption(new Option('--batch <rows>', 'rows per transaction').default(5_000).argParser(parseBatch))
    .action(async (file: string, opts: { workspace: string; database?: string; batch: number }) => {
      const format = formatOf(file);
      if (!format) throw new CohortError('import_bad_file', 'the file must end in .csv or .jsonl');
      const size = await stat(file).then(
        (s) => s.size,
        (error: NodeJS.ErrnoException) => {
          throw new CohortError('import_bad_file', `cannot read ${file} (${error.code ?? 'error'})`);
        },
      );
      const config = loadConfig(env, { databaseUrl: opts.database });
      const services = await openServices(config, createLogger(config, 2));
      const started = performance.now();
      const counters: ImportCounters = { rows: 0, imported: 0, errors: 0 };
      let bytes = 0;
      const counted = createReadStream(file).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            bytes += chunk.length;
            done(null, chunk);
          },
        }),
      );
      const tty = process.stderr.isTTY === true;
      const held: string[] = [];
      const report = (line: string) => (tty ? held.push(line) : process.stderr.write(`${line}\n`)); // a TTY bar owns stderr until it stops
      const progress = showProgress(tty, size, counters, () => bytes, started);
      try {
        await importProfiles({
          store: services.store,
          hooks: services.engine,
          clock: services.clock,
          workspaceId: opts.workspace,
          batchSize: opts.batch,
          rows: readRows(counted, format),
          counters,
          onRowError: (line, message) => {
            if (counters.errors <= SHOWN_ERRORS) report(`import: line ${line}: ${message}`);
          },
        });
      } catch (error) {
        if (counters.imported > 0) report(`import: stopped after ${counters.imported} rows were imported`);
        throw error;
      } finally {
        progress.stop();
        for (const line of held) process.stderr.write(`${line}\n`);
        counted.destroy();
        await services.close();
      }
      if (counters.errors > SHOWN_ERRORS) process.stderr.write(`import: ${counters.errors - SHOWN_ERRORS} more row errors not shown\n`);
      const seconds = Math.round((performance.now() - started) / 10) / 100;
      process.stdout.write(`${JSON.stringify({ imported: counters.imported, errors: counters.errors, seconds })}\n`);
    });
}

function parseBatch(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('expected a whole number from 1 to 100000.');
  return n;
}

/** A bar on a terminal (by bytes read, with rows/s); otherwise a plain line every 2 s. */
function showProgress(tty: boolean, totalBytes: number, counters: ImportCounters, bytes: () => number, started: number): { stop(): void } {
  const rate = () => Math.round(counters.rows / Math.max(0.001, (performance.now() - started) / 1_000));
  if (tty) {
    const bar = new SingleBar(
      { stream: process.stderr, format: 'import |{bar}| {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 },
      Presets.shades_classic,
    );
    bar.start(Math.max(1, totalBytes), 0, { rows: 0, rate: 0 });
    const timer = setInterval(() => bar.update(bytes(), { rows: counters.rows, rate: rate() }), 200);
    return {
      stop() {
        clearInterval(timer);
        bar.update(bytes(), { rows: counters.rows, rate: rate() });
        bar.stop();
      },
    };
  }
  const timer = setInterval(() => {
    const percent = totalBytes > 0 ? Math.floor((100 * bytes()) / totalBytes) : 100;
    process.stderr.write(`import: ${percent}% (${bytes()} of ${totalBytes} bytes), ${counters.rows} rows, ${counters.errors} errors, ${rate()} rows/s\n`);
  }, 2_000);
  return { stop: () => clearInterval(timer) };
}
